# Server-side dry-run diff (pkg/diff) and `kubectl promote diff` — see docs/diff.md.
# The cluster tests (TestCluster…) run on the shared local cluster, which
# `cluster-build` prepares; the benchmark starts a local cluster of its own.
#   make test-diff         unit, cluster and CLI tests of the diff
#   make test-diff-unit    only the tests that need no cluster
#   make bench-diff        1,000 objects: ours beside kubectl diff --server-side
#                          (BENCH_DIFF_FLAGS="-objects 200 -runs 1" for a quick look)

.PHONY: test-diff test-diff-unit bench-diff
bench: bench-diff

test-diff: cluster-build
	$(GO) test -count=1 -timeout 20m ./pkg/diff/...

test-diff-unit:
	$(GO) test -count=1 -skip '^TestCluster' ./pkg/diff/...

bench-diff: cluster-build build
	$(GO) run ./bench/diff $(BENCH_DIFF_FLAGS)
