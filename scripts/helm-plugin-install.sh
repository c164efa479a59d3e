#!/bin/sh
# Helm's install and update hook for the promote plugin (see plugin.yaml):
# puts kubectl-promote into $HELM_PLUGIN_DIR/bin.
#  - In a release archive the binary comes prebuilt at the archive's root: copy it.
#  - In a source tree (a clone, or `helm plugin install <git URL>`): build it with Go.
# Run by hand it works on the directory above this script.
set -eu
dir=${HELM_PLUGIN_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$dir"

exe=kubectl-promote
case "$(uname -s 2>/dev/null || echo unknown)" in
MINGW* | MSYS* | CYGWIN* | Windows_NT) exe=kubectl-promote.exe ;;
esac
mkdir -p bin

if [ -f "$exe" ]; then
	cp "$exe" "bin/$exe.tmp"
	chmod 0755 "bin/$exe.tmp"
	mv "bin/$exe.tmp" "bin/$exe"
	echo "promote: installed the prebuilt $exe ($("bin/$exe" version 2>/dev/null || echo 'version unknown'))"
	exit 0
fi

if [ -f go.mod ] && [ -d cmd/kubectl-promote ]; then
	if ! command -v go >/dev/null 2>&1; then
		echo "promote: building from source needs Go 1.26 on PATH (https://go.dev/dl/);" >&2
		echo "promote: or install a release archive: helm plugin install <…_linux_amd64.tar.gz URL>" >&2
		exit 1
	fi
	version=$(git describe --tags --always --dirty 2>/dev/null || true)
	[ -n "$version" ] || version=v$(sed -n 's/^version: *//p' plugin.yaml)
	echo "promote: building kubectl-promote $version from source with $(go version)"
	go build -trimpath -ldflags "-s -w -X github.com/kubectl-promote/kubectl-promote/internal/version.Version=$version" \
		-o "bin/$exe" ./cmd/kubectl-promote
	exit 0
fi

echo "promote: $dir holds neither a prebuilt $exe nor the Go source to build it" >&2
exit 1
