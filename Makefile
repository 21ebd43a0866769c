# metabench: two commands for a fresh machine that has only Go.
#   make run   - the main job on the embedded default data
#   make test  - the whole test suite
GO ?= go

# Matrix-product path (internal/gemm; see its doc.go and the README).
# Each route is probed by building and linking the tiny command
# internal/gemm/gemmpath with it, so a route that does not build here (no C
# compiler or no libopenblas-dev; a Go without GOEXPERIMENT=simd) is simply
# left out and the build stays on pure-Go gonum:
#   - OpenBLAS through cgo (-tags openblas) when it links: the fastest path;
#   - GOEXPERIMENT=simd whenever it builds: the pure-Go AVX-512/AVX2 kernels
#     (the float32 path when OpenBLAS is absent; tested in either case).
# Force a route with `make GEMM=gonum|simd|openblas|openblas+simd <target>`.
GEMM_PROBE := ./internal/gemm/gemmpath
comma := ,
SIMD_EXPERIMENT := $(if $(GOEXPERIMENT),$(GOEXPERIMENT)$(comma))simd
ifeq ($(origin GEMM),undefined)
GEMM_OPENBLAS := $(shell $(GO) build -tags openblas -o /dev/null $(GEMM_PROBE) >/dev/null 2>&1 && echo openblas)
GEMM_SIMD := $(shell GOEXPERIMENT=$(SIMD_EXPERIMENT) $(GO) build -o /dev/null $(GEMM_PROBE) >/dev/null 2>&1 && echo simd)
else
GEMM_OPENBLAS := $(findstring openblas,$(GEMM))
GEMM_SIMD := $(findstring simd,$(GEMM))
endif
GOTAGS := $(if $(GEMM_OPENBLAS),-tags openblas)
ifneq ($(GEMM_SIMD),)
export GOEXPERIMENT := $(SIMD_EXPERIMENT)
endif

.PHONY: run test build bench gemm-path
run:
	$(GO) run $(GOTAGS) ./cmd/metabench run

test:
	$(GO) vet $(GOTAGS) ./...
	$(GO) test $(GOTAGS) -timeout 40m ./...

build:
	$(GO) build $(GOTAGS) -o bin/metabench ./cmd/metabench

bench:
	$(GO) test $(GOTAGS) -run '^$$' -bench . -benchmem ./...

# Prints the build flags the targets above use and the path they select.
gemm-path:
	@echo "GOEXPERIMENT=$(GOEXPERIMENT) GOTAGS=$(GOTAGS)"
	@$(GO) run $(GOTAGS) $(GEMM_PROBE)
