package render

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"helm.sh/helm/v3/pkg/cli"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// Options tune one render.
type Options struct {
	// Images maps an image repository (e.g. "ghcr.io/acme/web") to the full
	// reference that replaces any container/initContainer image of that
	// repository (tag or digest) in the output — used by promotion.
	Images map[string]string
	// ChartVersion, when set for a Helm source, is the chart version
	// promoted from upstream: a chart from a repository or registry is
	// rendered at that version instead of the source's own; a local chart
	// renders as it is (the version is recorded, with a warning).
	ChartVersion string
	// ChartName, when set, is the name of the promoted chart: a chart of
	// another name is rendered at its own version (with a warning).
	ChartName string
	// ChartDigest is the OCI manifest digest upstream ran with
	// ChartVersion; an OCI chart is then pulled by that digest.
	ChartDigest string
	// ChartCache is the directory of the chart cache (DefaultChartCache
	// when empty).
	ChartCache string
	// Helm holds Helm's settings: the repositories file, the registry
	// credentials file, plugins (helm's environment when nil).
	Helm *cli.EnvSettings
	// Timeout, when set, replaces the render time budget (the source's
	// renderTimeout, else DefaultTimeout).
	Timeout time.Duration
	// MemoryLimit, when set, replaces the Go heap a render may reach
	// before it is stopped (see DefaultMemoryLimit).
	MemoryLimit uint64
}

// Result is the rendered environment.
type Result struct {
	// Objects are in apply order (see Sort), with the namespace applied.
	Objects []*unstructured.Unstructured
	// Images are the container image references found (artifacts),
	// sorted and de-duplicated.
	Images []string
	// Chart is the name of a Helm source's chart.
	Chart string
	// ChartVersion is the chart version recorded for a Helm source: the
	// exact version rendered (a range resolved), or for a local chart
	// Options.ChartVersion when set, its own version otherwise.
	ChartVersion string
	// ChartDigest is the OCI manifest digest of a chart from a registry.
	ChartDigest string
	// ChartSource is where a chart from a repository or registry came
	// from (oci://… or the repository URL); empty for a local chart.
	ChartSource string
	// Hooks are the Helm hooks, left out of Objects (apply and `test`
	// run them), in kind order; nil for Kustomize.
	Hooks []Hook
	// Warnings are things a person should know that did not stop the
	// render, such as the Helm hooks left out of Objects.
	Warnings []string
}

// Renderer renders one environment.
type Renderer interface {
	Render(ctx context.Context, opts Options) (*Result, error)
}

// target is what every renderer knows about its environment.
type target struct {
	env       string
	namespace string
	bounds    bounds
}

// For returns the renderer of env; relative paths resolve against the
// pipeline file's directory (filepath.Dir(p.Path)) and must stay inside the
// repository root unless env sets allowOutsideRepository. The renderer
// returns as soon as its context ends and stops itself (exit 2) after the
// source's render time budget.
func For(p *pipeline.Pipeline, env *pipeline.Environment) (Renderer, error) {
	if p == nil || env == nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("render: no pipeline or environment given"))
	}
	b, err := boundsFor(p, env)
	if err != nil {
		return nil, err
	}
	t := target{env: env.Name, namespace: env.Namespace, bounds: b}
	src := env.Source
	var r Renderer
	switch {
	case src.Kustomize != nil && src.Helm != nil:
		return nil, sourceError(p, env, "source", "set either kustomize or helm, not both")
	case src.Kustomize != nil:
		r, err = newKustomize(p, env, t)
	case src.Helm != nil:
		r, err = newHelm(p, env, t)
	default:
		return nil, sourceError(p, env, "source", "no source: set kustomize.path or helm.chart")
	}
	if err != nil {
		return nil, err
	}
	timeout := src.RenderTimeout.D()
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &budgeted{Renderer: r, env: env.Name, timeout: timeout}, nil
}

// confine checks a source path, reporting it at the line of field.
func confine(p *pipeline.Pipeline, env *pipeline.Environment, t target, field, path string) error {
	if err := t.bounds.confine(path); err != nil {
		return sourceError(p, env, field, "%v", err)
	}
	return nil
}

// resolve returns path relative to the pipeline file's directory.
func resolve(p *pipeline.Pipeline, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(p.Path), path)
}

// sourceError is a bad-input error about env's source, placed at the line
// of field (relative to the environment) when the pipeline was loaded from
// a file.
func sourceError(p *pipeline.Pipeline, env *pipeline.Environment, field, format string, args ...any) error {
	where := p.Path
	if where == "" {
		where = pipeline.FileName
	}
	if line := envFieldLine(p, env, field); line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	msg := fmt.Sprintf(format, args...)
	return exitcode.With(exitcode.BadInput, fmt.Errorf("%s: environment %q: %s", where, env.Name, msg))
}

// envFieldLine finds the line of spec.environments[i].<field>, or of its
// nearest parent the file has.
func envFieldLine(p *pipeline.Pipeline, env *pipeline.Environment, field string) int {
	i := -1
	for k := range p.Spec.Environments {
		if p.Spec.Environments[k].Name == env.Name {
			i = k
			break
		}
	}
	if i < 0 || p.Lines == nil {
		return 0
	}
	base := fmt.Sprintf("spec.environments[%d]", i)
	for _, key := range []string{base + "." + field, base + ".source", base} {
		if l, ok := p.Lines[key]; ok {
			return l
		}
	}
	return 0
}
