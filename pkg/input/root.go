package input

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// RepositoryRoot is the directory source paths must stay in: the top level
// of the git work tree that holds pipelineFile, else the pipeline file's
// own directory. Symlinks are resolved, so the answer can be compared with
// resolved paths.
func RepositoryRoot(pipelineFile string) (string, error) {
	abs, err := filepath.Abs(filepath.Dir(pipelineFile))
	if err != nil {
		return "", exitcode.With(exitcode.BadInput, fmt.Errorf("repository root of %s: %w", pipelineFile, err))
	}
	dir, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", exitcode.With(exitcode.BadInput, fmt.Errorf("repository root of %s: %w", pipelineFile, err))
	}
	for d := dir; ; d = filepath.Dir(d) {
		// .git is a directory in a clone, a file in a worktree or submodule.
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return dir, nil
		}
	}
}

// OutsideError is a path that resolves outside the repository root.
type OutsideError struct {
	// Path is the path as written; Resolved is where it leads.
	Path, Resolved, Root string
}

func (e *OutsideError) Error() string {
	via := ""
	if e.Resolved != e.Path {
		via = " (it resolves to " + e.Resolved + ")"
	}
	return fmt.Sprintf("%s is outside the repository %s%s: source paths must stay inside the repository, "+
		"or the environment must set allowOutsideRepository: true", e.Path, e.Root, via)
}

// Confine returns path resolved (absolute, symlinks followed) when it lies
// inside root, which must itself be resolved (see RepositoryRoot). A path
// that does not exist is checked as far as it exists, so the caller can
// still report it missing.
func Confine(root, path string) (string, error) {
	resolved, err := resolve(path)
	if err != nil {
		return "", exitcode.With(exitcode.BadInput, fmt.Errorf("%s: %w", path, err))
	}
	if !Within(root, resolved) {
		return "", exitcode.With(exitcode.BadInput, &OutsideError{Path: path, Resolved: resolved, Root: root})
	}
	return resolved, nil
}

// Within reports whether the resolved path is root or lies under it.
func Within(root, resolved string) bool {
	rel, err := filepath.Rel(root, resolved)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// resolve makes path absolute and follows its symlinks; for a path that
// does not exist, the longest existing prefix is resolved and the rest
// joined as written.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rest := ""
	for p := abs; ; p = filepath.Dir(p) {
		r, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !os.IsNotExist(err) || filepath.Dir(p) == p {
			return "", err
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}
