package localcluster

import (
	"context"
	"os"
	"path/filepath"
	"sort"
)

// Status describes a cluster found in the cache directory.
type Status struct {
	Name       string
	Dir        string
	Server     string
	Kubeconfig string
	// Running maps each component to whether its process is up.
	Running map[string]bool
	// Ready is true when the apiserver answers /readyz.
	Ready bool
}

// List reports on every cluster the localcluster command started (those
// under .cache/localcluster/clusters), sorted by name.
func List(ctx context.Context) ([]Status, error) {
	cache, err := CacheDir()
	if err != nil {
		return nil, err
	}
	dirs, err := filepath.Glob(filepath.Join(cache, "clusters", "*", stateFile))
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs)
	var out []Status
	for _, f := range dirs {
		c, err := Open(filepath.Dir(f))
		if err != nil { // broken state: report what its PID files say
			c = &Cluster{Name: filepath.Base(filepath.Dir(f)), Dir: filepath.Dir(f)}
		}
		out = append(out, c.Status(ctx))
	}
	return out, nil
}

// Status reports which components run and whether the apiserver is ready.
func (c *Cluster) Status(ctx context.Context) Status {
	s := Status{Name: c.Name, Dir: c.Dir, Server: c.Server, Kubeconfig: c.Kubeconfig, Running: map[string]bool{}}
	for _, name := range components {
		s.Running[name] = findProcess(c.Dir, name) != nil
	}
	if s.Running[kubeAPIServer] && c.pki != nil {
		s.Ready, _ = c.apiserverReady(ctx)
	}
	return s
}

// ClusterDirs returns the state directories of the clusters the localcluster
// command started.
func ClusterDirs() ([]string, error) {
	cache, err := CacheDir()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(cache, "clusters"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(cache, "clusters", e.Name()))
		}
	}
	return dirs, nil
}
