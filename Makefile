# kubectl-promote — see README.md. Each area keeps its targets in mk/*.mk.
SHELL := /bin/bash
GO ?= go
BIN := bin/kubectl-promote
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/kubectl-promote/kubectl-promote/internal/version.Version=$(VERSION)

.PHONY: build test test-deps bench lint
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kubectl-promote

# make test: every test of the module in one `go test` run, on the real local
# cluster (built once into .cache/, reused after), beside the reference
# helm CLI, krew's validator and Prometheus that the tests compare with or
# run against. Each area's own targets (test-diff, test-watch, …) are in
# mk/*.mk for quicker loops. `make lint` (vet, staticcheck, gofmt) runs first.
# test/e2e, the longest package, is named first so that it starts first;
# its tests (and the other cluster tests) run side by side on one shared
# cluster, each in its own namespaces: TEST_PARALLEL of them at a time.
TEST_PARALLEL ?= 6
test: lint test-deps
	$(GO) test -count=1 -p 2 -parallel $(TEST_PARALLEL) -timeout 45m ./test/e2e/ ./...

test-deps: cluster-build tools-helm tools-krew prometheus chromium krew/promote.yaml

# The generated krew manifest (make krew-manifest); built here only when
# missing. No prerequisite: a fresh clone may check the template out after the
# manifest, and a newer template must not trigger six cross-builds in CI.
krew/promote.yaml:
	$(GO) run ./hack/dist build -version v0.1.0 -out dist
	$(GO) run ./hack/dist krew -version v0.1.0 -sums dist/SHA256SUMS -template krew/promote.yaml.tmpl -o krew/promote.yaml

include $(wildcard mk/*.mk)

.PHONY: demo demo-down
demo:
	./scripts/demo.sh

demo-down:
	$(GO) run ./test/localcluster/cmd/localcluster down --name demo
	rm -rf .cache/demo
