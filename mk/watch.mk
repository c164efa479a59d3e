# Rollout watch (pkg/rollout/watch) and its detection-latency bench.
# WATCH_TEST_FLAGS tunes the cluster tests, e.g. -run TestCluster -v.
WATCH_TEST_FLAGS ?=
BENCH_DETECT_RUNS ?= 10
BENCH_DETECT_DEADLINE ?= 30

.PHONY: test-watch test-watch-unit bench-detect
bench: bench-detect

# Pure rule and state-machine tests plus the cluster tests (TestCluster*,
# on one shared local cluster; run `make cluster-build` first).
test-watch:
	$(GO) test -count=1 -timeout 15m $(WATCH_TEST_FLAGS) ./pkg/rollout/watch/...

# Only the tests that need no cluster.
test-watch-unit:
	$(GO) test -count=1 -skip TestCluster ./pkg/rollout/watch/...

# Over BENCH_DETECT_RUNS runs on a local cluster: a good Deployment updated
# to a crash-looping template; our watch's detection latency against
# `kubectl rollout status` (which reports only at progressDeadlineSeconds).
bench-detect:
	$(GO) run ./bench/detect -runs $(BENCH_DETECT_RUNS) -progress-deadline $(BENCH_DETECT_DEADLINE)
