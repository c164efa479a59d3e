# Rendering (pkg/render) — see docs/render.md.
#   make tools-helm     build the reference helm CLI into .cache/tools/bin/helm
#                       (tools/ is its own module; several minutes cold)
#   make test-render    golden, error and equivalence tests (beside kubectl
#                       kustomize and helm template)
#   make bench-render   ours beside kubectl kustomize and helm template on the
#                       examples and generated 1,000-resource inputs
#                       (BENCH_RENDER_FLAGS="-runs 3 -resources 2000")
HELM_REF := .cache/tools/bin/helm

.PHONY: tools-helm test-render bench-render
bench: bench-render
# pkg/render's tests compare with helm template; a cold helm build outlasts
# go test's default timeout, so build it first wherever they run.

tools-helm: $(HELM_REF)

$(HELM_REF): tools/go.mod tools/go.sum tools/build-helm.sh
	sh tools/build-helm.sh $(abspath $(HELM_REF))

test-render: $(HELM_REF)
	$(GO) test -count=1 ./pkg/render/...

# The CLI column needs bin/kubectl-promote; the benchmark runs without it.
bench-render: $(HELM_REF)
	-@$(MAKE) --no-print-directory build
	$(GO) run ./bench/render -helm $(HELM_REF) $(BENCH_RENDER_FLAGS)
