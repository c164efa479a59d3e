package localcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// componentsModule is the components module's directory, relative to the
// repository root.
const componentsModule = "test/localcluster/components"

// RepoRoot returns the root of the kubectl-promote checkout: $LOCALCLUSTER_REPO
// if set, else the nearest directory above the working directory that holds
// the components module. Tests run in their package directory, so walking
// up always finds it.
func RepoRoot() (string, error) {
	if dir := os.Getenv("LOCALCLUSTER_REPO"); dir != "" {
		return filepath.Abs(dir)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if fileExists(filepath.Join(dir, componentsModule, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no " + componentsModule +
				" above the working directory; run inside the kubectl-promote checkout or set LOCALCLUSTER_REPO")
		}
		dir = parent
	}
}

// CacheDir returns the git-ignored directory holding the components binary,
// the clusters started by the localcluster command and their merged
// kubeconfig: <repo>/.cache/localcluster.
func CacheDir() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache", "localcluster"), nil
}

// DefaultKubeconfig returns the fixed path of the kubeconfig that the
// localcluster command keeps for the clusters it started:
// <repo>/.cache/localcluster/kubeconfig.
func DefaultKubeconfig() (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "kubeconfig"), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
