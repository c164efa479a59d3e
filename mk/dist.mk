# Packaging — see docs/packaging.md.
#   make dist            release archives for linux/darwin/windows × amd64/arm64 in dist/
#                        (tar.gz, zip for windows) and dist/SHA256SUMS; reproducible
#   make dist-verify     rebuild every archive elsewhere and compare the sums
#   make krew-manifest   fill krew/promote.yaml from krew/promote.yaml.tmpl and the
#                        sums of `make dist`, then validate it (krew-validate)
#   make krew-validate   krew's validate-krew-manifest on krew/promote.yaml, and again,
#                        installing every platform with krew from a local HTTP server
#                        (needs dist/ to hold that version's archives: make krew-manifest)
#   make test-plugin     kubectl/Helm plugin discovery, helm plugin install, completion,
#                        dist reproducibility and krew validation (test/plugin, hack/dist);
#                        `make test` runs them through test-unit (they need no cluster)
#   make tools-krew      build krew v0.4.3 and its validator into .cache/tools/bin
#
# DIST_VERSION is the release version: VERSION when it is a v-prefixed semantic
# version (a release tag), else v0.0.0-VERSION. SOURCE_DATE_EPOCH, the time of
# every archive entry, defaults to the last commit's time.
DIST_VERSION ?= $(shell echo '$(VERSION)' | grep -Eq '^v[0-9]+\.[0-9]+\.[0-9]+' && echo '$(VERSION)' || echo 'v0.0.0-$(VERSION)')
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 315532800)
export SOURCE_DATE_EPOCH
DIST := $(GO) run ./hack/dist
KREW_VALIDATOR := .cache/tools/bin/validate-krew-manifest
KREW_CLI := .cache/tools/bin/kubectl-krew

.PHONY: dist dist-verify krew-manifest krew-validate test-plugin tools-krew

dist:
	rm -rf dist
	$(DIST) build -version $(DIST_VERSION) -out dist
	@cat dist/SHA256SUMS

dist-verify: dist
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(DIST) build -version $(DIST_VERSION) -out "$$tmp" && \
	diff -u dist/SHA256SUMS "$$tmp/SHA256SUMS" && echo "dist: reproducible: both builds have the same sums"

krew-manifest: dist
	$(DIST) krew -version $(DIST_VERSION) -sums dist/SHA256SUMS -template krew/promote.yaml.tmpl -o krew/promote.yaml
	@$(MAKE) --no-print-directory krew-validate

krew-validate: $(KREW_VALIDATOR) $(KREW_CLI)
	$(KREW_VALIDATOR) -manifest krew/promote.yaml -skip-install
	$(DIST) krew-check -manifest krew/promote.yaml -dist dist -validator $(KREW_VALIDATOR) -krew $(KREW_CLI)

tools-krew: $(KREW_VALIDATOR) $(KREW_CLI)

$(KREW_VALIDATOR) $(KREW_CLI) &: tools/krew/go.mod tools/krew/go.sum
	cd tools/krew && $(GO) build -trimpath -o $(abspath $(KREW_VALIDATOR)) sigs.k8s.io/krew/cmd/validate-krew-manifest
	cd tools/krew && $(GO) build -trimpath -o $(abspath $(KREW_CLI)) sigs.k8s.io/krew/cmd/krew

test-plugin: $(HELM_REF) $(KREW_VALIDATOR) $(KREW_CLI)
	$(GO) test -count=1 -timeout 15m ./test/plugin/ ./hack/dist/
