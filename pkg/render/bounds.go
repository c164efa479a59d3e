package render

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubectl-promote/kubectl-promote/pkg/input"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// bounds is what an environment's render may read: files inside the
// repository root (unless the environment opts out) and within the input
// limits.
type bounds struct {
	// root is the resolved repository root; empty when the environment
	// sets allowOutsideRepository.
	root   string
	limits input.Limits
}

func boundsFor(p *pipeline.Pipeline, env *pipeline.Environment) (bounds, error) {
	b := bounds{limits: input.DefaultLimits()}
	if env.AllowOutsideRepository {
		return b, nil
	}
	file := p.Path
	if file == "" {
		file = pipeline.FileName
	}
	root, err := input.RepositoryRoot(file)
	if err != nil {
		return b, err
	}
	b.root = root
	return b, nil
}

// confine checks that path, after symlinks, is inside the repository.
func (b bounds) confine(path string) error {
	if b.root == "" {
		return nil
	}
	_, err := input.Confine(b.root, path)
	return err
}

// readFile reads an input file: confined, size-capped, aliases bounded.
func (b bounds) readFile(path string) ([]byte, error) {
	if err := b.confine(path); err != nil {
		return nil, err
	}
	data, err := input.ReadFile(path, b.limits)
	if err != nil {
		return nil, err
	}
	if err := input.CheckAliases(path, data, b.limits); err != nil {
		return nil, err
	}
	return data, nil
}

// checkTree checks every file under dir, following symlinks as Helm's
// chart loader does, before the loader reads them all unbounded: each must
// be confined and within the size cap, and YAML outside templates/ (which
// is not YAML until rendered) must have bounded aliases.
func (b bounds) checkTree(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() { // a chart archive: Helm caps what it decompresses
		_, err := input.ReadFile(dir, b.limits)
		return err
	}
	return b.walk(dir, dir, 0)
}

// maxTreeDepth stops a symlink loop.
const maxTreeDepth = 64

func (b bounds) walk(top, dir string, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("%s: directories nested deeper than %d (a symlink loop?)", dir, maxTreeDepth)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if err := b.confine(path); err != nil {
			return err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			if err := b.walk(top, path, depth+1); err != nil {
				return err
			}
			continue
		}
		if err := b.checkFile(top, path); err != nil {
			return err
		}
	}
	return nil
}

func (b bounds) checkFile(top, path string) error {
	data, err := input.ReadFile(path, b.limits)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(top, path)
	ext := filepath.Ext(path)
	if strings.HasPrefix(rel, "templates"+string(filepath.Separator)) || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
		return nil
	}
	return input.CheckAliases(path, data, b.limits)
}
