package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// TestRenderRemoteChart runs `render` on charts of a real HTTP chart
// repository: a pulled version renders again from the cache once the
// server is gone; a version the repository lacks is exit 2, a server
// that cannot be reached exit 3, both naming chart and version.
func TestRenderRemoteChart(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HELM_REPOSITORY_CONFIG", filepath.Join(home, "repositories.yaml"))
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(home, "registry.json"))
	t.Setenv("HELM_REPOSITORY_CACHE", filepath.Join(home, "repository"))
	t.Setenv(render.ChartCacheEnv, filepath.Join(home, "charts"))
	srv := serveChart(t, "web", "1.0.0")
	dir := t.TempDir()
	pipelineFile := `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: shop}
spec:
  environments:
  - {name: dev, namespace: dev, source: {helm: {repo: "URL", chart: web, version: "1.0.0"}}}
  - {name: qa, namespace: qa, source: {helm: {repo: "URL", chart: web, version: "9.9.9"}}}
  - {name: next, namespace: next, source: {helm: {repo: "URL", chart: web, version: "1.0.1"}}}
`
	if err := os.WriteFile(filepath.Join(dir, "promote.yaml"), []byte(strings.ReplaceAll(pipelineFile, "URL", srv.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(env string, code int, want ...string) {
		t.Helper()
		res := run(t, dir, "render", env)
		if res.code != code {
			t.Fatalf("render %s: exit %d, want %d; stderr:\n%s", env, res.code, code, res.stderr)
		}
		out := res.stdout + res.stderr
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("render %s does not say %q:\n%s", env, w, out)
			}
		}
	}
	check("dev", 0, "name: web-1.0.0")
	check("qa", exitcode.BadInput, "web", "9.9.9")
	srv.Close()
	check("dev", 0, "name: web-1.0.0")
	check("next", exitcode.Cluster, "web", "1.0.1", "connection refused")
}

// serveChart serves one chart version from an HTTP chart repository
// written by Helm's own code.
func serveChart(t *testing.T, name, version string) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	c := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: name, Version: version},
		Templates: []*chart.File{{Name: "templates/cm.yaml",
			Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Chart.Name }}-{{ .Chart.Version }}}\n")}},
	}
	if _, err := chartutil.Save(c, dir); err != nil {
		t.Fatal(err)
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
