#!/usr/bin/env bash
# base-images.sh: builds the two base images of deploy/Dockerfile on this
# machine, for a builder that reaches Debian's packages but no container
# registry (a sandbox, an air-gapped CI):
#   localhost/metabench-debian:bookworm  a minimal Debian bookworm root made
#                                        by debootstrap (stands in for
#                                        debian:bookworm-slim)
#   localhost/metabench-go:bookworm      the same with gcc and this machine's
#                                        Go toolchain (stands in for
#                                        golang:1.26-bookworm), trusting the
#                                        extra CAs this machine trusts
#                                        (/usr/local/share/ca-certificates:
#                                        a TLS-inspecting proxy's, say)
# then:
#   podman build --isolation chroot -f deploy/Dockerfile \
#     --build-arg GO_IMAGE=localhost/metabench-go:bookworm \
#     --build-arg RUN_IMAGE=localhost/metabench-debian:bookworm -t metabench:latest .
# Needs root, debootstrap and podman (or BUILDER=buildah).
set -euo pipefail
builder=${BUILDER:-podman}
goroot=$(go env GOROOT)
work=$(mktemp -d "${TMPDIR:-/tmp}/metabench-bases.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -z "$("$builder" images -q localhost/metabench-debian:bookworm 2>/dev/null)" ]; then
	debootstrap --variant=minbase bookworm "$work/root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
		{ tail -20 "$work/debootstrap.log" >&2; exit 1; }
	rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
	tar -C "$work/root" -c . | "$builder" import - localhost/metabench-debian:bookworm >/dev/null
	rm -rf "$work/root"
fi

mkdir -p "$work/ctx/ca"
cp -a "$goroot" "$work/ctx/go"
cp /usr/local/share/ca-certificates/*.crt "$work/ctx/ca/" 2>/dev/null || true
cat >"$work/ctx/Containerfile" <<'DOCKERFILE'
FROM localhost/metabench-debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
COPY go /usr/local/go
ENV PATH=/usr/local/go/bin:/root/go/bin:$PATH GOTOOLCHAIN=local
DOCKERFILE
bud=build
[ "$(basename "$builder")" = buildah ] && bud=bud
"$builder" "$bud" --isolation chroot -t localhost/metabench-go:bookworm "$work/ctx"
echo "base-images: localhost/metabench-debian:bookworm and localhost/metabench-go:bookworm ($("$builder" --version))"
