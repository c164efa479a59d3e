package render

import (
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"

	"github.com/kubectl-promote/kubectl-promote/pkg/input"
)

// boundedFS is the disk as kustomize sees it: every file it reads is
// confined to the repository, size-capped and alias-checked. Kustomize's
// own load restrictor confines files to each kustomization's directory but
// lets bases (directories) come from anywhere, `../../../etc` included.
type boundedFS struct {
	filesys.FileSystem
	bounds
	// clones are the temporary directories that existed before the build:
	// any other kustomize-* directory there is a remote base kustomize
	// cloned during this build, which is not a file of this machine.
	clones map[string]bool
	tmp    string
	// refused is the first read refused. Kustomize drops some read errors
	// (it probes for kustomization.yaml and reports it missing), so the
	// build's error is replaced by this one.
	refused error
}

func newBoundedFS(b bounds) *boundedFS {
	fs := &boundedFS{FileSystem: filesys.MakeFsOnDisk(), bounds: b, clones: map[string]bool{}}
	tmp, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		return fs
	}
	fs.tmp = tmp
	if entries, err := os.ReadDir(tmp); err == nil {
		for _, e := range entries {
			fs.clones[e.Name()] = true
		}
	}
	return fs
}

// ReadFile reads path within the bounds.
func (fs *boundedFS) ReadFile(path string) ([]byte, error) {
	data, err := fs.read(path)
	if err != nil && exitcode.Code(err) == exitcode.BadInput && fs.refused == nil {
		fs.refused = err
	}
	return data, err
}

func (fs *boundedFS) read(path string) ([]byte, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	if !fs.isNewClone(path) {
		return fs.readFile(path)
	}
	data, err := input.ReadFile(path, fs.limits)
	if err != nil {
		return nil, err
	}
	return data, input.CheckAliases(path, data, fs.limits)
}

// isNewClone reports whether path is in a directory kustomize created for
// a remote base during this build.
func (fs *boundedFS) isNewClone(path string) bool {
	if fs.tmp == "" || fs.root == "" {
		return false
	}
	rel, err := filepath.Rel(fs.tmp, path)
	if err != nil || !filepath.IsLocal(rel) {
		return false
	}
	first, _, _ := strings.Cut(rel, string(filepath.Separator))
	if !strings.HasPrefix(first, "kustomize-") || fs.clones[first] {
		return false
	}
	resolved, err := filepath.EvalSymlinks(path)
	return err == nil && input.Within(filepath.Join(fs.tmp, first), resolved)
}
