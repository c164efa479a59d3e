package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildBinary builds kubectl-promote into a new temporary directory, for
// tests that run the real binary from TestMain; remove cleans it up.
// go build's output goes to stderr.
func BuildBinary() (binary string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "kubectl-promote-bin-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	binary = filepath.Join(dir, "kubectl-promote")
	build := exec.Command("go", "build", "-o", binary, "github.com/kubectl-promote/kubectl-promote/cmd/kubectl-promote")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		remove()
		return "", nil, fmt.Errorf("build kubectl-promote: %w", err)
	}
	return binary, remove, nil
}
