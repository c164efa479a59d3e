package render

import (
	"context"
	"fmt"
	"os"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/input"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// DefaultKubeVersion is Capabilities.KubeVersion when the source sets none:
// the Kubernetes release of the client libraries this build links, which is
// also what a released helm binary of the same libraries assumes.
const DefaultKubeVersion = "v1.37.0"

// helmRenderer renders a chart client-side, like `helm template`: a local
// chart directory, or a chart from a repository or registry pulled into
// the chart cache.
type helmRenderer struct {
	target
	chartDir    string       // local chart; empty for a remote one
	remote      *remoteChart // nil for a local chart
	release     string
	values      helmValues
	kubeVersion *chartutil.KubeVersion
	apiVersions []string
}

func newHelm(p *pipeline.Pipeline, env *pipeline.Environment, t target) (Renderer, error) {
	src := env.Source.Helm
	if src.Chart == "" {
		return nil, sourceError(p, env, "source.helm", "helm.chart is empty")
	}
	h := &helmRenderer{
		target:      t,
		release:     src.ReleaseName,
		apiVersions: src.APIVersions,
	}
	if h.release == "" {
		h.release = env.Name
	}
	if src.Remote() {
		h.remote = newRemoteChart(src)
	} else if err := h.localChart(p, env, src); err != nil {
		return nil, err
	}
	var err error
	if h.values, err = newHelmValues(p, env, t, src); err != nil {
		return nil, err
	}
	kv := src.KubeVersion
	if kv == "" {
		kv = DefaultKubeVersion
	}
	parsed, err := chartutil.ParseKubeVersion(kv)
	if err != nil {
		return nil, sourceError(p, env, "source.helm.kubeVersion", "kubeVersion %q: %v", kv, err)
	}
	h.kubeVersion = parsed
	return h, nil
}

func (h *helmRenderer) localChart(p *pipeline.Pipeline, env *pipeline.Environment, src *pipeline.HelmSource) error {
	h.chartDir = resolve(p, src.Chart)
	if _, err := os.Stat(h.chartDir); err != nil {
		return sourceError(p, env, "source.helm.chart", "helm chart %s does not exist (paths are relative to the pipeline file)", h.chartDir)
	}
	return confine(p, env, h.target, "source.helm.chart", h.chartDir)
}

// Render loads the chart and values and renders every template, CRDs
// included; NOTES.txt is left out, and hooks are kept apart in
// Result.Hooks (see docs/hooks.md). A remote chart is fetched first (or
// found in the cache).
func (h *helmRenderer) Render(ctx context.Context, opts Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	src, err := h.chartSource(ctx, opts)
	if err != nil {
		return nil, err
	}
	chrt, vals, err := h.load(src)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, err)
	}
	paths := chartPaths{name: chrt.Name(), dir: src.display}
	files, err := h.renderTemplates(chrt, vals)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, paths.error(err))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := h.checkRendered(files, paths); err != nil {
		return nil, err
	}
	objs, hooks, err := splitRendered(chrt, files, paths)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, err)
	}
	res, err := finish(h.target, objs, opts)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("helm chart %s: %w", src.display, err))
	}
	res.Chart = chrt.Name()
	if h.remote != nil {
		res.ChartVersion, res.ChartDigest, res.ChartSource = src.version, src.digest, src.source
	} else {
		res.ChartVersion, res.Warnings = chartVersion(chrt, opts)
	}
	if src.warning != "" {
		res.Warnings = append(res.Warnings, src.warning)
	}
	res.Hooks = finishHooks(h.target, hooks, opts)
	res.Warnings = append(res.Warnings, hookWarnings(res.Hooks)...)
	return res, nil
}

// loadedChart is where the chart to render is.
type loadedChart struct {
	path    string // chart directory or archive
	display string // how messages name it
	version string // remote: the exact version pulled
	digest  string
	source  string
	warning string
}

// chartSource returns the local chart, or pulls the remote one at the
// promoted version (Options.ChartVersion) or else the source's own.
func (h *helmRenderer) chartSource(ctx context.Context, opts Options) (loadedChart, error) {
	if h.remote == nil {
		return loadedChart{path: h.chartDir, display: h.chartDir}, nil
	}
	want, warning := h.remote.want(opts)
	f := newFetcher(opts)
	p, err := f.get(ctx, h.remote, want)
	if err != nil {
		return loadedChart{}, err
	}
	if p.warning == "" {
		p.warning = warning
	}
	source := h.remote.name
	if !h.remote.oci() {
		source = h.remote.repo
	}
	return loadedChart{
		path: p.path, display: h.remote.name + "@" + p.version,
		version: p.version, digest: p.digest, source: source, warning: p.warning,
	}, nil
}

// load reads the chart and merges the values, checking what `helm
// template` checks before it renders.
func (h *helmRenderer) load(src loadedChart) (*chart.Chart, map[string]interface{}, error) {
	path, name := src.path, src.display
	if err := chartutil.ValidateReleaseName(h.release); err != nil {
		return nil, nil, fmt.Errorf("release name %q: %w", h.release, err)
	}
	if err := h.bounds.checkTree(path); err != nil {
		return nil, nil, fmt.Errorf("helm chart %s: %w", name, err)
	}
	chrt, err := loader.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load helm chart %s: %w", name, err)
	}
	if t := chrt.Metadata.Type; t != "" && t != "application" {
		return nil, nil, fmt.Errorf("helm chart %s: %s charts are not installable", name, t)
	}
	if req := chrt.Metadata.Dependencies; req != nil {
		if err := action.CheckDependencies(chrt, req); err != nil {
			return nil, nil, fmt.Errorf("helm chart %s: %w (run `helm dependency build %s`)", name, err, name)
		}
	}
	if c := chrt.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, h.kubeVersion.String()) {
		return nil, nil, fmt.Errorf("helm chart %s requires kubeVersion: %s which is incompatible with Kubernetes %s (set kubeVersion in promote.yaml)",
			name, c, h.kubeVersion)
	}
	vals, err := h.values.merge(h.bounds)
	if err != nil {
		return nil, nil, err
	}
	return chrt, vals, nil
}

// renderTemplates executes the chart's templates as a client-only `helm
// template` does (action.Install with ClientOnly): subchart values
// processed, values checked against values.schema.json, mocked
// capabilities, no cluster lookups. It stops short of Helm's sorting of
// the result, which parses every document only to read its kind and hook
// annotations; splitRendered parses each once, for everything.
func (h *helmRenderer) renderTemplates(chrt *chart.Chart, vals map[string]interface{}) (map[string]string, error) {
	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *h.kubeVersion
	caps.APIVersions = append(caps.APIVersions, h.apiVersions...)
	ns := h.namespace
	if ns == "" {
		ns = "default"
	}
	rel := chartutil.ReleaseOptions{Name: h.release, Namespace: ns, Revision: 1, IsInstall: true}
	values, err := chartutil.ToRenderValuesWithSchemaValidation(chrt, vals, rel, caps, false)
	if err != nil {
		return nil, err
	}
	var e engine.Engine
	return e.Render(chrt, values)
}

// chartVersion returns the version to record and, when the promoted version
// is not the local chart's, a warning saying which one was rendered.
func chartVersion(chrt *chart.Chart, opts Options) (string, []string) {
	local := chrt.Metadata.Version
	if opts.ChartVersion == "" || opts.ChartVersion == local {
		return local, nil
	}
	return opts.ChartVersion, []string{fmt.Sprintf(
		"chart version %s is promoted, but the local chart %s is version %s: the local chart was rendered",
		opts.ChartVersion, chrt.Name(), local)}
}

// checkRendered bounds the aliases of the rendered templates, which a
// template can make explode from a few lines of output.
func (h *helmRenderer) checkRendered(files map[string]string, paths chartPaths) error {
	for name, content := range files {
		if err := input.CheckAliases(paths.local(name), []byte(content), h.bounds.limits); err != nil {
			return err
		}
	}
	return nil
}
