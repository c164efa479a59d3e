package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// ApprovalRequired is the only value gates.approval accepts.
const ApprovalRequired = "required"

// Env returns the environment called name. An unknown name is BadInput and
// the message lists the known ones.
func (p *Pipeline) Env(name string) (*Environment, error) {
	for i := range p.Spec.Environments {
		if p.Spec.Environments[i].Name == name {
			return &p.Spec.Environments[i], nil
		}
	}
	return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("unknown environment %q in %s; known environments: %s",
		name, p.Path, strings.Join(p.Names(), ", ")))
}

// Names lists the environment names in file order, each once.
func (p *Pipeline) Names() []string {
	names := make([]string, 0, len(p.Spec.Environments))
	for _, e := range p.Spec.Environments {
		if e.Name != "" && !slices.Contains(names, e.Name) {
			names = append(names, e.Name)
		}
	}
	return names
}

// Upstream returns the environment env is promoted from, or nil for the
// first of a chain.
func (p *Pipeline) Upstream(env *Environment) (*Environment, error) {
	if env.From == "" {
		return nil, nil
	}
	return p.Env(env.From)
}

// Dir is the directory of the pipeline file, against which relative source
// paths are resolved.
func (p *Pipeline) Dir() string { return filepath.Dir(p.Path) }

// Resolve returns path relative to the pipeline file's directory; absolute
// paths are returned unchanged.
func (p *Pipeline) Resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.Dir(), path)
}

func statFile(path string) (os.FileInfo, error) { return os.Stat(path) }
