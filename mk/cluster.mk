# Local Kubernetes cluster for tests and the demo — see docs/localcluster.md.
#   make cluster-build                 build the components binary (~20 min cold, cached after)
#   make cluster-up [NAME=n NODES=3]   start a cluster; last line of stdout = kubeconfig path
#   make cluster-down [NAME=n]         stop one cluster, or all without NAME
LOCALCLUSTER := $(GO) run ./test/localcluster/cmd/localcluster

.PHONY: cluster-build cluster-up cluster-down cluster-status test-localcluster
cluster-build:
	@$(LOCALCLUSTER) build

cluster-up:
	@$(LOCALCLUSTER) up $(if $(NAME),--name $(NAME)) $(if $(NODES),--nodes $(NODES))

cluster-down:
	@$(LOCALCLUSTER) down $(if $(NAME),--name $(NAME))

cluster-status:
	@$(LOCALCLUSTER) status

# Cluster tests build the binary on demand, but a cold build outlasts
# go test's default 10-minute timeout: build it first.
test-localcluster: cluster-build
	$(GO) test -count=1 -timeout 10m ./test/localcluster/...
