# Apply of a release (pkg/rollout, pkg/diff's Manager) and its bench — see docs/apply.md.
#   make bench-apply   1,000 new objects: `kubectl promote apply` beside
#                      `kubectl apply --server-side` + `kubectl wait`, one run
#                      (BENCH_APPLY_FLAGS="-objects 200" for a quick look)
BENCH_APPLY_FLAGS ?=

.PHONY: bench-apply
bench: bench-apply

bench-apply: cluster-build build
	$(GO) run ./bench/apply $(BENCH_APPLY_FLAGS)
