// Command dist builds the release archives of kubectl-promote and fills the
// krew manifest from them (see mk/dist.mk and docs/packaging.md):
//
//	go run ./hack/dist build -version v0.1.0 [-out dist] [-platforms linux/amd64,…] [-mtime EPOCH]
//	go run ./hack/dist krew  -version v0.1.0 [-sums dist/SHA256SUMS] [-template krew/promote.yaml.tmpl] [-o krew/promote.yaml]
//	go run ./hack/dist krew-check [-manifest krew/promote.yaml] [-dist dist] [-validator …] [-krew …]
//
// Archives are reproducible: the binaries are built with -trimpath and no VCS
// stamp, and every archive entry has a fixed mtime, owner and mode, in sorted
// order, so two builds of one tree with one Go toolchain are byte-identical.
// It must run from the repository root.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = runBuild(os.Args[2:])
	case "krew":
		err = runKrew(os.Args[2:])
	case "krew-check":
		err = runKrewCheck(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "dist: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dist build|krew|krew-check [flags]   (-h on each for its flags)")
	os.Exit(2)
}

// versionFlag registers -version, which both subcommands need.
func versionFlag(fs *flag.FlagSet) *string {
	return fs.String("version", "", "release version, a v-prefixed semantic version such as v0.1.0 (required)")
}
