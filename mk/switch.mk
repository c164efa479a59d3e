# Canary and blue-green switching (pkg/rollout canary/blue-green, resume/abort)
# and the time it takes to get traffic back on the stable side.
#   make test-switch        unit tests, then the canary/blue-green e2e tests on the local cluster
#   make test-switch-unit   only the tests that need no cluster
#   make bench-switch       failure detection → traffic back on stable, per router
#                           (BENCH_SWITCH_FLAGS="-runs 1 -scenarios nginx" for a quick look)
BENCH_SWITCH_FLAGS ?=

.PHONY: test-switch test-switch-unit bench-switch
bench: bench-switch

test-switch-unit:
	$(GO) test -count=1 ./pkg/rollout/ ./pkg/promote/
	$(GO) test -count=1 -run 'RolloutLines' ./internal/cli/

test-switch: cluster-build test-switch-unit
	$(GO) test -count=1 -timeout 20m -run 'TestCanary|TestBlueGreen' ./test/e2e/

bench-switch: cluster-build
	$(GO) run ./bench/switch $(BENCH_SWITCH_FLAGS)
