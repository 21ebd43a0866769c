# metabench: two commands for a fresh machine that has only Go.
#   make run   - the main job on the embedded default data
#   make test  - the whole test suite, with a throwaway PostgreSQL server for
#                the store tests (scripts/pg-test.sh; installs postgresql
#                with apt-get when missing) and headless Chromium for the
#                published site's browser test (scripts/chromium.sh; installs
#                chromium with apt-get when missing)
#   make test-pg - only the tests that use the PostgreSQL server
GO ?= go

# Matrix-product path (internal/gemm; see its doc.go and the README).
# Each route is probed by building and linking the tiny command
# internal/gemm/gemmpath with it, so a route that does not build here (no C
# compiler or no libopenblas-dev; a Go without GOEXPERIMENT=simd) is simply
# left out and the build stays on pure-Go gonum:
#   - OpenBLAS through cgo (-tags openblas) when it links: the fastest path;
#   - GOEXPERIMENT=simd whenever it builds: the pure-Go AVX-512/AVX2 kernels
#     (the float32 path when OpenBLAS is absent; tested in either case).
# A binary built with both (openblas+simd, what `make` picks when OpenBLAS
# links) decides at start-up: OpenBLAS only when the kernel family it runs
# (openblas_get_corename) is made for this CPU, else the SIMD kernels; a
# DYNAMIC_ARCH OpenBLAS older than the CPU (Debian's 0.3.21 calls a recent
# Xeon "Prescott", SSE3 kernels) is skipped, and the path says so, e.g.
# "simd-avx512 (openblas/Prescott skipped: ...)" (internal/gemm/coreisa.go).
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

# The binary carries the commit it was built from and whether the tree was
# modified (Go's VCS stamping, -buildvcs=auto, whatever GOFLAGS says): its
# records keep them in env and `metabench version` prints them (`go run`
# binaries carry none). make BUILDVCS=false where git cannot read the
# checkout.
BUILDVCS ?= auto
GOBUILD = $(GO) build $(GOTAGS) -buildvcs=$(BUILDVCS)

.PHONY: run test test-pg build bench gemm-path crossval results
run: build
	bin/metabench run

test:
	$(GO) vet $(GOTAGS) ./...
	bash scripts/chromium.sh bash scripts/pg-test.sh $(GO) test $(GOTAGS) -timeout 40m ./...

# The results-store tests against a real PostgreSQL (SQLite too: one
# conformance suite), the CLI's store tests and the deploy manifests.
test-pg:
	bash scripts/pg-test.sh sh -c '$(GO) test $(GOTAGS) -count=1 ./store/... ./deploy/ && \
		$(GO) test $(GOTAGS) -count=1 -run "Store|Postgres|Report|Compare" ./internal/cli/'

build:
	$(GOBUILD) -o bin/metabench ./cmd/metabench

bench:
	$(GO) test $(GOTAGS) -run '^$$' -bench . -benchmem ./...

# Prints the build flags the targets above use and the path they select.
gemm-path:
	@echo "GOEXPERIMENT=$(GOEXPERIMENT) GOTAGS=$(GOTAGS)"
	@$(GO) run $(GOTAGS) $(GEMM_PROBE)

# k-fold cross-validation over the held-back groups (Omniglot alphabets):
# trains CONFIG once per fold (data.fold=0..FOLDS-1) into OUT/fold-K, with a
# results store of its own, then prints `metabench report --crossval`.
#   make crossval CONFIG=benchmarks/30min/omniglot-5w1s-maml.yaml OUT=runs/cv FOLDS=5 SET='--set inner_lr=0.6'
# With Omniglot's 30 alphabets and test_fraction 0.2 (6 alphabets) 5 folds
# test every alphabet once.
FOLDS ?= 5
crossval: build
	@test -n "$(CONFIG)" -a -n "$(OUT)" || { echo "make crossval: set CONFIG=experiment.yaml and OUT=folder"; exit 2; }
	@for k in $$(seq 0 $$(($(FOLDS)-1))); do \
		echo "fold $$k of $(FOLDS)"; \
		bin/metabench train $(CONFIG) --out $(OUT)/fold-$$k --store $(OUT)/results.db --set data.fold=$$k $(SET) || exit 1; \
	done
	bin/metabench report --store $(OUT)/results.db --crossval

# docs/RESULTS.md is generated from the records in docs/records, never edited
# by hand; TestResultsPage (internal/cli) fails when it is stale.
# A suite's records sit in a subfolder (metabench store export --portable,
# with the suite file as suite.yaml); its figures are drawn there: the
# adaptation curves (figure4), the searches' convergence (arch) and the
# validation curves at fixed iterations (plateau) when its records have them.
# A folder holding a comparison at equal tasks (scripts/maml_vs_torch.sh's
# output, in it or in a subfolder) gets its two plots (metabench vsref).
results: build
	for d in docs/records/*/; do \
		ls $$d*.json >/dev/null 2>&1 && [ -f $$d/suite.yaml ] || continue; \
		s=$$(sed -n 's/^name: *//p' $$d/suite.yaml); \
		if grep -qE '"(frozen_arch|arch)"' $$d*.json; then \
			bin/metabench report --records $$d --suite $$s --curves --plot $$d > /dev/null || exit 1; \
		fi; \
		if grep -q '"arch_curve"' $$d*.json; then \
			bin/metabench report --records $$d --suite $$s --genotypes --plot $$d > /dev/null || exit 1; \
		fi; \
		if grep -qE '"every_iterations": *[1-9]' $$d*.json; then \
			bin/metabench report --records $$d --suite $$s --plateau --plot $$d > /dev/null || exit 1; \
		fi; \
	done
	for d in docs/records/*/; do \
		for o in $$d $$d*/; do \
			ls $$o/torch/seed*.json $$o/metabench/seed*/record-*.json >/dev/null 2>&1 || continue; \
			bin/metabench vsref --metabench "$$o/metabench/seed*/record-*.json" --reference "$$o/torch/seed*.json" \
				--plots $$d --name maml_vs_torch > /dev/null || exit 1; \
			break; \
		done; \
	done
	bin/metabench report --records docs/records --format markdown --page > docs/RESULTS.md.tmp
	mv docs/RESULTS.md.tmp docs/RESULTS.md
