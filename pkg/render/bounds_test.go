package render

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// repo is a git work tree (as far as RepositoryRoot can tell) in a
// temporary directory, beside a directory outside it holding a runner's
// secrets.
type repo struct {
	dir, outside string
}

func newRepo(t *testing.T) repo {
	t.Helper()
	r := repo{dir: t.TempDir(), outside: t.TempDir()}
	writeFiles(t, r.dir, map[string]string{
		".git/HEAD":                          "ref: refs/heads/main\n",
		"deploy/base/kustomization.yaml":     "resources: [cm.yaml]\n",
		"deploy/base/cm.yaml":                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n",
		"deploy/dev/kustomization.yaml":      "resources: [../base]\n",
		"deploy/escape/kustomization.yaml":   "resources: [../../../" + filepath.Base(r.outside) + "/base]\n",
		"deploy/via-link/kustomization.yaml": "resources: [../linked-base]\n",
		"deploy/linked/kustomization.yaml":   "resources: [cm.yaml]\n",
		"charts/web/Chart.yaml":              "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/web/values.yaml":             "data: {}\n",
		"charts/web/templates/cm.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {{ toJson .Values.data }}\n",
		"charts/web/values-dev.yaml":         "data: {a: b}\n",
		"charts/linked/Chart.yaml":           "apiVersion: v2\nname: linked\nversion: 1.0.0\n",
		"charts/linked/templates/cm.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
	})
	writeFiles(t, r.outside, map[string]string{
		".kube/config":               "data: {token: s3cr3t}\n",
		"base/kustomization.yaml":    "resources: [cm.yaml]\n",
		"base/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\ndata: {token: s3cr3t}\n",
		"overlay/kustomization.yaml": "resources: [cm.yaml]\n",
		"overlay/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\n",
		"tmpl.yaml":                  "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n",
	})
	symlink(t, filepath.Join(r.outside, "overlay"), filepath.Join(r.dir, "deploy", "symlinked"))
	symlink(t, filepath.Join(r.outside, ".kube", "config"), filepath.Join(r.dir, "charts", "values-linked.yaml"))
	symlink(t, filepath.Join(r.outside, "base"), filepath.Join(r.dir, "deploy", "linked-base"))
	symlink(t, filepath.Join(r.outside, "base", "cm.yaml"), filepath.Join(r.dir, "deploy", "linked", "cm.yaml"))
	symlink(t, filepath.Join(r.outside, "tmpl.yaml"), filepath.Join(r.dir, "charts", "linked", "templates", "stolen.yaml"))
	return r
}

// TestSourcePathsStayInTheRepository: chart, values and overlay paths, and
// what a kustomization reads, must resolve inside the repository root
// unless the environment opts out.
func TestSourcePathsStayInTheRepository(t *testing.T) {
	r := newRepo(t)
	kustomize := func(path string) pipeline.Source {
		return pipeline.Source{Kustomize: &pipeline.KustomizeSource{Path: path}}
	}
	helm := func(chart string, values ...string) pipeline.Source {
		return pipeline.Source{Helm: &pipeline.HelmSource{Chart: chart, Values: values}}
	}
	tests := []struct {
		name    string
		source  pipeline.Source
		wantErr string // empty: renders
		// kustomizeRule: kustomize's own load restrictor refuses it,
		// opt-out or not.
		kustomizeRule bool
	}{
		{name: "overlay with a base inside", source: kustomize("deploy/dev")},
		{name: "chart and values inside", source: helm("charts/web", "charts/web/values-dev.yaml")},
		{name: "absolute values path outside", source: helm("charts/web", filepath.Join(r.outside, ".kube", "config")),
			wantErr: filepath.Join(r.outside, ".kube", "config") + " is outside the repository"},
		{name: "values path climbing out", source: helm("charts/web", "../"+filepath.Base(r.outside)+"/.kube/config"),
			wantErr: "is outside the repository"},
		{name: "symlinked values file", source: helm("charts/web", "charts/values-linked.yaml"),
			wantErr: "values-linked.yaml is outside the repository " + r.dir + " (it resolves to " + filepath.Join(r.outside, ".kube", "config") + ")"},
		{name: "symlinked overlay", source: kustomize("deploy/symlinked"), wantErr: "deploy/symlinked is outside the repository"},
		{name: "base outside", source: kustomize("deploy/escape"), wantErr: filepath.Join(r.outside, "base") + "/kustomization.yaml is outside the repository"},
		{name: "symlinked base", source: kustomize("deploy/via-link"), wantErr: filepath.Join(r.outside, "base") + "/kustomization.yaml is outside the repository"},
		{name: "symlinked resource", source: kustomize("deploy/linked"), wantErr: "deploy/linked/cm.yaml' is not in or below", kustomizeRule: true},
		{name: "symlinked template", source: helm("charts/linked"), wantErr: "stolen.yaml is outside the repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &pipeline.Environment{Name: "dev", Namespace: "dev", Source: tt.source}
			p := &pipeline.Pipeline{Path: filepath.Join(r.dir, "promote.yaml"), Spec: pipeline.Spec{Environments: []pipeline.Environment{*env}}}
			_, err := renderOnce(p, env)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("render: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("render error = %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr != "" && exitcode.Code(err) != exitcode.BadInput:
				t.Errorf("exit code %d, want %d", exitcode.Code(err), exitcode.BadInput)
			case err != nil && strings.Contains(err.Error(), "s3cr3t"):
				t.Errorf("the error prints the file outside: %v", err)
			}
			if tt.wantErr == "" || tt.kustomizeRule {
				return
			}
			env.AllowOutsideRepository = true
			if _, err := renderOnce(p, env); err != nil {
				t.Errorf("with allowOutsideRepository: %v", err)
			}
		})
	}
}

func renderOnce(p *pipeline.Pipeline, env *pipeline.Environment) (*Result, error) {
	r, err := For(p, env)
	if err != nil {
		return nil, err
	}
	return r.Render(context.Background(), Options{})
}

// slowChart is a chart whose template takes seconds of CPU (a finite
// stand-in for an endless one, so that the abandoned render ends with the
// test binary at the latest).
func slowChart(t *testing.T) (*pipeline.Pipeline, *pipeline.Environment) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"chart/Chart.yaml": "apiVersion: v2\nname: slow\nversion: 1.0.0\n",
		"chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: slow}\n" +
			"{{- range until 6000 }}{{ range until 6000 }}{{ end }}{{ end }}\n",
	})
	env := &pipeline.Environment{Name: "dev", Namespace: "dev", Source: pipeline.Source{Helm: &pipeline.HelmSource{Chart: "chart"}}}
	p := &pipeline.Pipeline{Path: filepath.Join(dir, "promote.yaml"), Spec: pipeline.Spec{Environments: []pipeline.Environment{*env}}}
	return p, env
}

// TestRenderStopsWhenCanceled: a render returns when its context is
// cancelled mid-way (a signal), with the cancellation, not bad input.
func TestRenderStopsWhenCanceled(t *testing.T) {
	p, env := slowChart(t)
	r, err := For(p, env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = r.Render(ctx, Options{})
	if !errors.Is(err, context.Canceled) || exitcode.Code(err) != exitcode.Unclassified || !exitcode.Has(err) {
		t.Fatalf("Render() = %v, want the cancellation, marked exit code 3 (got %d)", err, exitcode.Code(err))
	}
}

// TestRenderBudget: a render over its time budget is stopped as bad input.
func TestRenderBudget(t *testing.T) {
	p, env := slowChart(t)
	env.Source.RenderTimeout = pipeline.Duration(100 * time.Millisecond)
	r, err := For(p, env)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Render(context.Background(), Options{})
	want := "render of environment dev took longer than 100ms and was stopped"
	if err == nil || !strings.Contains(err.Error(), want) || exitcode.Code(err) != exitcode.BadInput {
		t.Fatalf("Render() = %v (exit code %d), want %q (exit code 2)", err, exitcode.Code(err), want)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestRenderMemoryLimit: a template that allocates without bound is
// stopped as bad input once the heap passes the limit. The abandoned
// render still finishes in the background: 128 MB of output at most.
func TestRenderMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"chart/Chart.yaml":        "apiVersion: v2\nname: big\nversion: 1.0.0\n",
		"chart/templates/cm.yaml": "{{- range until 8000000 }}xxxxxxxxxxxxxxxx{{ end }}\n",
	})
	env := &pipeline.Environment{Name: "dev", Namespace: "dev", Source: pipeline.Source{Helm: &pipeline.HelmSource{Chart: "chart"}}}
	p := &pipeline.Pipeline{Path: filepath.Join(dir, "promote.yaml"), Spec: pipeline.Spec{Environments: []pipeline.Environment{*env}}}
	r, err := For(p, env)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Render(context.Background(), Options{MemoryLimit: 32 << 20})
	want := "render of environment dev used more than 32 MiB of memory and was stopped"
	if err == nil || !strings.Contains(err.Error(), want) || exitcode.Code(err) != exitcode.BadInput {
		t.Fatalf("Render() = %v (exit code %d), want %q (exit code 2)", err, exitcode.Code(err), want)
	}
}
