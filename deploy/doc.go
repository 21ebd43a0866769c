// Package deploy holds no code: it is the container image build
// (Dockerfile, multi-stage, with the OpenBLAS matrix path) and the
// Kubernetes manifests (job.yaml, an Indexed Job running one shard of
// `metabench suite` per pod against a PostgreSQL results store whose DSN
// comes from the Secret of secret.example.yaml). Its tests parse the
// manifests with the Kubernetes API types and check them against the CLI up
// to the cluster boundary; there is no cluster in CI.
package deploy
