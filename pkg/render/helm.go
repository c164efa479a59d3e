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

// helmRenderer renders a local chart client-side, like `helm template`.
type helmRenderer struct {
	target
	chartDir    string
	release     string
	values      []string
	set         map[string]string
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
		chartDir:    resolve(p, src.Chart),
		release:     src.ReleaseName,
		set:         src.Set,
		apiVersions: src.APIVersions,
	}
	if h.release == "" {
		h.release = env.Name
	}
	if _, err := os.Stat(h.chartDir); err != nil {
		return nil, sourceError(p, env, "source.helm.chart", "helm chart %s does not exist (paths are relative to the pipeline file)", h.chartDir)
	}
	if err := confine(p, env, t, "source.helm.chart", h.chartDir); err != nil {
		return nil, err
	}
	for i, v := range src.Values {
		h.values = append(h.values, resolve(p, v))
		field := fmt.Sprintf("source.helm.values[%d]", i)
		if _, err := os.Stat(h.values[i]); err != nil {
			return nil, sourceError(p, env, field, "values file %s does not exist (paths are relative to the pipeline file)", h.values[i])
		}
		if err := confine(p, env, t, field, h.values[i]); err != nil {
			return nil, err
		}
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

// Render loads the chart and values and renders every template, CRDs
// included; NOTES.txt is left out, and hooks are kept apart in
// Result.Hooks (see docs/hooks.md).
func (h *helmRenderer) Render(ctx context.Context, opts Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	chrt, vals, err := h.load()
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, err)
	}
	paths := chartPaths{name: chrt.Name(), dir: h.chartDir}
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
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("helm chart %s: %w", h.chartDir, err))
	}
	res.ChartVersion, res.Warnings = chartVersion(chrt, opts)
	res.Hooks = finishHooks(h.target, hooks, opts)
	res.Warnings = append(res.Warnings, hookWarnings(res.Hooks)...)
	return res, nil
}

// load reads the chart and merges the values, checking what `helm
// template` checks before it renders.
func (h *helmRenderer) load() (*chart.Chart, map[string]interface{}, error) {
	if err := chartutil.ValidateReleaseName(h.release); err != nil {
		return nil, nil, fmt.Errorf("release name %q: %w", h.release, err)
	}
	if err := h.bounds.checkTree(h.chartDir); err != nil {
		return nil, nil, fmt.Errorf("helm chart %s: %w", h.chartDir, err)
	}
	chrt, err := loader.Load(h.chartDir)
	if err != nil {
		return nil, nil, fmt.Errorf("load helm chart %s: %w", h.chartDir, err)
	}
	if t := chrt.Metadata.Type; t != "" && t != "application" {
		return nil, nil, fmt.Errorf("helm chart %s: %s charts are not installable", h.chartDir, t)
	}
	if req := chrt.Metadata.Dependencies; req != nil {
		if err := action.CheckDependencies(chrt, req); err != nil {
			return nil, nil, fmt.Errorf("helm chart %s: %w (run `helm dependency build %s`)", h.chartDir, err, h.chartDir)
		}
	}
	if c := chrt.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, h.kubeVersion.String()) {
		return nil, nil, fmt.Errorf("helm chart %s requires kubeVersion: %s which is incompatible with Kubernetes %s (set kubeVersion in promote.yaml)",
			h.chartDir, c, h.kubeVersion)
	}
	vals, err := mergeValues(h.bounds, h.values, h.set)
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
