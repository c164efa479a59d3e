# Release records, lock and rollout state (pkg/release) and the history and
# unlock commands. The package's cluster tests run on the shared local
# cluster (test/localcluster), which `cluster-build` prepares.
#   make test-release          unit and cluster tests of pkg/release, CLI tests of history/unlock
#   make test-release-unit     only the tests that need no cluster (not TestCluster…)

.PHONY: test-release test-release-unit

test-release: cluster-build
	$(GO) test -count=1 -timeout 10m ./pkg/release/...
	$(GO) test -count=1 -run 'History|Unlock' ./internal/cli/

test-release-unit:
	$(GO) test -count=1 -skip '^TestCluster' ./pkg/release/...
