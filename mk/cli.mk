# CLI, pipeline file and everything else that needs no cluster.
#   make test-unit   go test of every package whose tests do not use test/localcluster,
#                    plus the CLI end-to-end tests (TestCLI… in test/e2e: the built binary, no cluster)
#   make test-e2e    every test/e2e test, the cluster ones included
#   make lint        go vet ./..., staticcheck ./... (pinned in tools/lint/go.mod) and a gofmt check
# A package is a unit package when neither it nor its tests import
# test/localcluster (the local cluster's own package is not one either).
UNIT_PKGS = $(shell $(GO) list -f '{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | grep -v '/test/localcluster' | cut -d' ' -f1)

.PHONY: test-unit test-e2e lint


test-unit:
	$(GO) test -count=1 $(UNIT_PKGS)
	$(GO) test -count=1 -run '^TestCLI' ./test/e2e/

test-e2e: cluster-build
	$(GO) test -count=1 -parallel $(TEST_PARALLEL) -timeout 20m ./test/e2e/

# staticcheck is pinned in its own module (tools/lint), apart from the helm
# reference in tools/go.mod, so that bumping one never rebuilds the other.
STATICCHECK := .cache/tools/bin/staticcheck

lint: $(STATICCHECK)
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@out=$$(git ls-files -co --exclude-standard '*.go' | xargs gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

$(STATICCHECK): tools/lint/go.mod tools/lint/go.sum
	mkdir -p $(dir $@)
	$(GO) build -C tools/lint -trimpath -o $(abspath $@) honnef.co/go/tools/cmd/staticcheck
