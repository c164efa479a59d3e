package promote

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// chartRepository serves chart "web" at each version from a real HTTP
// chart repository (archives and index.yaml written by Helm's own code).
func chartRepository(t *testing.T, versions ...string) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	for _, v := range versions {
		c := &chart.Chart{
			Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "web", Version: v},
			Values:   map[string]interface{}{"tag": v},
			Templates: []*chart.File{{Name: "templates/deploy.yaml", Data: []byte(
				strings.Replace(deployYAML, "%s", `"registry.example.com/shop/web:{{ .Values.tag }}"`, 1))}},
		}
		if _, err := chartutil.Save(c, dir); err != nil {
			t.Fatal(err)
		}
	}
	index, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv
}

// isolateHelm points Helm's files and the chart cache into the test.
func isolateHelm(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HELM_REPOSITORY_CONFIG", filepath.Join(dir, "repositories.yaml"))
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(dir, "registry.json"))
	t.Setenv("HELM_REPOSITORY_CACHE", filepath.Join(dir, "repository"))
	t.Setenv(render.ChartCacheEnv, filepath.Join(dir, "charts"))
}

// TestPromoteChartVersion: the upstream's exact chart version (a range
// resolved) is an artifact, the target renders at it, and --write pins it
// in the target's helm.version, comments kept, whether the key was there
// (block style) or not (flow style).
func TestPromoteChartVersion(t *testing.T) {
	isolateHelm(t)
	srv := chartRepository(t, "1.0.0", "1.1.0", "2.0.0")
	dir := t.TempDir()
	file := filepath.Join(dir, "promote.yaml")
	src := `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: shop}
spec:
  environments:
  - name: dev
    namespace: dev
    source:
      helm: {repo: "URL", chart: web, version: ^1.0.0}  # newest 1.x
  - name: staging
    from: dev
    namespace: staging
    source:
      helm:
        repo: URL
        chart: web
        # moved by promotions
        version: "1.0.0" # pinned
  - name: prod
    from: staging
    namespace: prod
    source:
      helm: {repo: "URL", chart: web}  # no version yet
`
	src = strings.ReplaceAll(src, "URL", srv.URL)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Load(file)
	if err != nil {
		t.Fatal(err)
	}

	up := renderEnv(t, p, "dev", render.Options{})
	arts := Artifacts(up)
	want := release.Artifact{Type: release.ArtifactChart, Name: "web", Ref: "1.1.0"}
	if diff := cmp.Diff(want, arts[len(arts)-1]); diff != "" {
		t.Fatalf("dev's chart artifact (-want +got):\n%s", diff)
	}
	for _, target := range []string{"staging", "prod"} {
		res := renderEnv(t, p, target, RenderOptions(arts))
		if res.ChartVersion != "1.1.0" {
			t.Fatalf("%s rendered chart %s, want the upstream's 1.1.0", target, res.ChartVersion)
		}
		written, err := Write(t.Context(), p, env(t, p, target), Promoted(arts, res))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{file}, written); diff != "" {
			t.Errorf("files written (-want +got):\n%s", diff)
		}
	}
	got, _ := os.ReadFile(file)
	wantFile := strings.Replace(src, `version: "1.0.0" # pinned`, `version: "1.1.0" # pinned`, 1)
	wantFile = strings.Replace(wantFile, `chart: web}  # no version yet`, `chart: web, version: 1.1.0}  # no version yet`, 1)
	if diff := cmp.Diff(wantFile, string(got)); diff != "" {
		t.Errorf("promote.yaml after --write (-want +got):\n%s", diff)
	}
	p, err = pipeline.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if res := renderEnv(t, p, "prod", render.Options{}); res.ChartVersion != "1.1.0" {
		t.Errorf("prod renders chart %s on its own after the write, want 1.1.0", res.ChartVersion)
	}
}

func env(t *testing.T, p *pipeline.Pipeline, name string) *pipeline.Environment {
	t.Helper()
	for i := range p.Spec.Environments {
		if p.Spec.Environments[i].Name == name {
			return &p.Spec.Environments[i]
		}
	}
	t.Fatalf("no environment %s", name)
	return nil
}

func renderEnv(t *testing.T, p *pipeline.Pipeline, name string, opts render.Options) *render.Result {
	t.Helper()
	r, err := render.For(p, env(t, p, name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(t.Context(), opts)
	if err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return res
}
