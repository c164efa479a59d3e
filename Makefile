# kubectl-promote — see README.md. Each area keeps its targets in mk/*.mk.
SHELL := /bin/bash
GO ?= go
BIN := bin/kubectl-promote
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/kubectl-promote/kubectl-promote/internal/version.Version=$(VERSION)

.PHONY: build test bench lint
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kubectl-promote

include $(wildcard mk/*.mk)

.PHONY: demo demo-down
demo:
	./scripts/demo.sh

demo-down:
	$(GO) run ./test/localcluster/cmd/localcluster down --name demo
	rm -rf .cache/demo
