#!/bin/sh
# Builds the helm CLI used as the reference for `helm template` in the
# equivalence tests and the render benchmark, stamped the way helm's own
# Makefile stamps a release (version, default Kubernetes version from the
# client-go it links), into .cache/tools/bin/helm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../.cache/tools/bin/helm}
cd "$here"
helm_ver=$(go list -m -f '{{.Version}}' helm.sh/helm/v3)
k8s_minor=$(go list -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2)
pkg=helm.sh/helm/v3
go build -trimpath -o "$out" -ldflags "-s -w \
  -X $pkg/internal/version.version=$helm_ver \
  -X $pkg/internal/version.gitTreeState=clean \
  -X $pkg/pkg/chartutil.k8sVersionMajor=1 \
  -X $pkg/pkg/chartutil.k8sVersionMinor=$k8s_minor \
  -X $pkg/pkg/lint/rules.k8sVersionMajor=1 \
  -X $pkg/pkg/lint/rules.k8sVersionMinor=$k8s_minor" \
  $pkg/cmd/helm
