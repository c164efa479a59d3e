package pipeline

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// Layout is the deployment layout Detect found in a directory.
type Layout struct {
	// App names the application: the directory's name for Kustomize, the
	// chart's name for Helm.
	App string
	// Source is "kustomize" or "helm".
	Source string
	// Root is the overlays directory or the chart, relative to the
	// directory Detect was given.
	Root string
	// Envs are ordered from least to most production-like.
	Envs []LayoutEnv
	// Skipped are values files of a Helm layout whose names are not
	// recognised environment names (values-bad.yaml): left out of the
	// chain unless DetectOptions.IncludeAll.
	Skipped []LayoutEnv
}

// DetectOptions tune Detect.
type DetectOptions struct {
	// IncludeAll puts every values-<name>.yaml of a Helm layout into the
	// chain, recognised environment name or not.
	IncludeAll bool
}

// LayoutEnv is one environment found in a layout.
type LayoutEnv struct {
	// Name is the environment's name, made a valid one if the directory or
	// file name was not.
	Name string
	// Path is the overlay directory or values file, relative to the
	// directory Detect was given.
	Path string
	// Namespace is the namespace the overlay itself sets, when the caller
	// found one (see NamespaceOf); empty means Pipeline invents
	// <app>-<env>.
	Namespace string
	// NamespaceFrom says where Namespace came from, for the summary.
	NamespaceFrom string
}

// Detect finds an `overlays/*` Kustomize layout (at any depth, such as
// deploy/overlays/*) or a Chart.yaml with values-*.yaml files beside it.
// When both exist the Kustomize layout wins. Finding neither is BadInput.
// Values files of a Helm layout whose names are not recognised environment
// names go to Skipped unless opts.IncludeAll: a values-bad.yaml is more
// often a test fixture than a stage of the chain.
func Detect(dir string, opts DetectOptions) (*Layout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, err)
	}
	overlays, charts, err := scan(abs)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("scan %s: %w", dir, err))
	}
	for _, o := range overlays {
		if l := kustomizeLayout(abs, o); l != nil {
			return l, nil
		}
	}
	for _, c := range charts {
		if l := helmLayout(abs, c, opts.IncludeAll); l != nil {
			return l, onlySkipped(l, dir)
		}
	}
	return nil, exitcode.With(exitcode.BadInput, fmt.Errorf(
		"no layout found in %s: expected overlays/<env>/kustomization.yaml (at any depth) or a Chart.yaml with values-<env>.yaml beside it", dir))
}

// scan lists every overlays directory and chart directory under root,
// shallowest first, skipping hidden and vendored directories.
func scan(root string) (overlays, charts []string, err error) {
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			if d.Name() == "Chart.yaml" {
				charts = append(charts, filepath.Dir(path))
			}
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "vendor") {
			return filepath.SkipDir
		}
		if name == "overlays" {
			overlays = append(overlays, path)
		}
		return nil
	})
	byDepth := func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.Count(a, string(filepath.Separator)), strings.Count(b, string(filepath.Separator))), strings.Compare(a, b))
	}
	slices.SortFunc(overlays, byDepth)
	slices.SortFunc(charts, byDepth)
	return overlays, charts, err
}

func kustomizeLayout(root, overlays string) *Layout {
	entries, _ := os.ReadDir(overlays)
	l := &Layout{App: appName(root), Source: "kustomize", Root: rel(root, overlays)}
	for _, e := range entries {
		if e.IsDir() && hasAnyFile(filepath.Join(overlays, e.Name()), kustomizationFiles) {
			l.Envs = append(l.Envs, LayoutEnv{Name: e.Name(), Path: rel(root, filepath.Join(overlays, e.Name()))})
		}
	}
	return l.finish()
}

var valuesFile = regexp.MustCompile(`^values[-_.](.+)\.ya?ml$`)

func helmLayout(root, chart string, includeAll bool) *Layout {
	entries, _ := os.ReadDir(chart)
	l := &Layout{App: chartName(chart), Source: "helm", Root: rel(root, chart)}
	for _, e := range entries {
		m := valuesFile.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		le := LayoutEnv{Name: m[1], Path: rel(root, filepath.Join(chart, e.Name()))}
		if includeAll || Recognised(dnsLabel(m[1])) {
			l.Envs = append(l.Envs, le)
		} else {
			le.Name = envName(le.Name)
			l.Skipped = append(l.Skipped, le)
		}
	}
	slices.SortFunc(l.Skipped, func(a, b LayoutEnv) int { return strings.Compare(a.Name, b.Name) })
	return l.finish()
}

// Recognised reports whether name is one of the environment names init
// knows how to order (README: local … dev … qa … staging … prod).
func Recognised(name string) bool {
	s, _ := stageOf(name)
	return s != unknownStage
}

// onlySkipped refuses a Helm layout whose values files all have
// unrecognised names, saying how to take them anyway.
func onlySkipped(l *Layout, dir string) error {
	if len(l.Envs) > 0 {
		return nil
	}
	names := make([]string, len(l.Skipped))
	for i, s := range l.Skipped {
		names[i] = s.Path
	}
	return exitcode.With(exitcode.BadInput, fmt.Errorf(
		"no values file in %s has a recognised environment name (%s): rename them values-<env>.yaml (dev, staging, prod, …) or pass --include-all",
		dir, strings.Join(names, ", ")))
}

// finish names and orders the environments; nil when there are none.
func (l *Layout) finish() *Layout {
	if len(l.Envs) == 0 && len(l.Skipped) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for i := range l.Envs {
		name := envName(l.Envs[i].Name)
		for n := 2; seen[name]; n++ {
			name = fmt.Sprintf("%s-%d", envName(l.Envs[i].Name), n)
		}
		seen[name] = true
		l.Envs[i].Name = name
	}
	slices.SortStableFunc(l.Envs, func(a, b LayoutEnv) int { return compareEnvs(a.Name, b.Name) })
	return l
}

// stages orders environment names from least to most production-like;
// names not listed go between the test stage and the staging stage.
var stages = [][]string{
	{"local", "sandbox", "dev", "develop", "development"},
	{"ci", "test", "testing", "int", "integration", "qa"},
	nil, // unknown names, alphabetical
	{"staging", "stage", "stg", "uat", "preprod", "pre-prod", "preproduction"},
	{"prod", "production", "live"},
}

// compareEnvs sorts by stage, then by position within the stage, then by name.
func compareEnvs(a, b string) int {
	sa, pa := stageOf(a)
	sb, pb := stageOf(b)
	return cmp.Or(cmp.Compare(sa, sb), cmp.Compare(pa, pb), strings.Compare(a, b))
}

func stageOf(name string) (stage, pos int) {
	for s, names := range stages {
		if i := slices.Index(names, name); i >= 0 {
			return s, i
		}
	}
	return unknownStage, 0
}

// unknownStage is the index in stages of names not listed.
const unknownStage = 2

// envName turns a directory or file name into a valid, unreserved
// environment name.
func envName(s string) string {
	n := dnsLabel(s)
	if slices.Contains(Reserved, n) {
		n += "-env"
	}
	return n
}

var notLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsLabel lower-cases s and replaces what a DNS label cannot hold.
func dnsLabel(s string) string {
	n := strings.Trim(notLabel.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(n) > validation.DNS1123LabelMaxLength {
		n = strings.TrimRight(n[:validation.DNS1123LabelMaxLength], "-")
	}
	if n == "" {
		n = "app"
	}
	return n
}

func appName(dir string) string { return dnsLabel(filepath.Base(dir)) }

// chartName reads the chart's name, falling back to its directory's.
func chartName(chart string) string {
	var c struct {
		Name string `yaml:"name"`
	}
	if data, err := os.ReadFile(filepath.Join(chart, "Chart.yaml")); err == nil && yaml.Unmarshal(data, &c) == nil && c.Name != "" {
		return dnsLabel(c.Name)
	}
	return appName(chart)
}

func hasAnyFile(dir string, names []string) bool {
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && !fi.IsDir() {
			return true
		}
	}
	return false
}

func rel(root, path string) string {
	r, err := filepath.Rel(root, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(r)
}

// Pipeline builds the pipeline for the layout: one environment per overlay
// or values file, each from the one before, in the namespace the overlay
// sets (LayoutEnv.Namespace) or else <app>-<env>, with the rolling strategy. Paths are made relative to dir, the directory the
// pipeline file will live in; layoutDir is the directory Detect was given.
func (l *Layout) Pipeline(layoutDir, dir string) (*Pipeline, error) {
	p := &Pipeline{APIVersion: APIVersion, Kind: Kind, Metadata: Metadata{Name: l.App}}
	relPath := func(path string) (string, error) {
		abs, err := filepath.Abs(filepath.Join(layoutDir, path))
		if err != nil {
			return "", err
		}
		absDir, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		return filepath.Rel(absDir, abs)
	}
	root, err := relPath(l.Root)
	if err != nil {
		return nil, err
	}
	for i, le := range l.Envs {
		path, err := relPath(le.Path)
		if err != nil {
			return nil, err
		}
		e := Environment{Name: le.Name, Namespace: cmp.Or(le.Namespace, namespaceFor(l.App, le.Name))}
		if i > 0 {
			e.From = l.Envs[i-1].Name
		}
		if l.Source == "kustomize" {
			e.Source.Kustomize = &KustomizeSource{Path: filepath.ToSlash(path)}
		} else {
			e.Source.Helm = &HelmSource{Chart: filepath.ToSlash(root), ReleaseName: l.App, Values: []string{filepath.ToSlash(path)}}
		}
		p.Spec.Environments = append(p.Spec.Environments, e)
	}
	return p, nil
}

// namespaceFor is <app>-<env>, kept a valid DNS label.
func namespaceFor(app, env string) string {
	if strings.HasPrefix(env, app+"-") || env == app {
		return dnsLabel(env)
	}
	return dnsLabel(app + "-" + env)
}
