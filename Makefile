# metabench: two commands for a fresh machine that has only Go.
#   make run   - the main job on the embedded default data
#   make test  - the whole test suite
GO ?= go

.PHONY: run test build bench
run:
	$(GO) run ./cmd/metabench run

test:
	$(GO) vet ./...
	$(GO) test -timeout 40m ./...

build:
	$(GO) build -o bin/metabench ./cmd/metabench

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
