# The guard (pkg/guard, `kubectl promote guard`) — see docs/guard.md.
#   make bench-guard   detection → undo started of late failures (target p50 ≤ 1s)
#   make image         a container image of the binary, when docker, podman or
#                      buildah is installed (IMAGE=… names it); tests never need it
BENCH_GUARD_RUNS ?= 10
IMAGE ?= kubectl-promote:dev
CONTAINER_BUILDER ?= $(shell command -v docker || command -v podman || command -v buildah)

.PHONY: bench-guard image
bench: bench-guard

bench-guard: cluster-build
	$(GO) run ./bench/guard -runs $(BENCH_GUARD_RUNS)

image:
	@test -n "$(CONTAINER_BUILDER)" || { echo "make image: no container builder (docker, podman or buildah) on this machine" >&2; exit 1; }
	$(if $(findstring buildah,$(CONTAINER_BUILDER)),$(CONTAINER_BUILDER) bud,$(CONTAINER_BUILDER) build) -t $(IMAGE) .
