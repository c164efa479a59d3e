package promote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

const deployYAML = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: %s}]
`

// TestWriteRendersThePromotedRef: after --write, the target renders the
// promoted reference on its own, for Kustomize and for Helm.
func TestWriteRendersThePromotedRef(t *testing.T) {
	const ref = "registry.example.com/shop/web:1.1.0@sha256:bbbb"
	tests := []struct {
		name   string
		files  map[string]string
		source pipeline.Source
		file   string
	}{{
		name: "kustomize",
		files: map[string]string{
			"base/kustomization.yaml":             "resources: [deploy.yaml]\n",
			"base/deploy.yaml":                    strings.Replace(deployYAML, "%s", "registry.example.com/shop/web:1.0.0", 1),
			"overlays/staging/kustomization.yaml": "# staging\nresources:\n- ../../base\n",
		},
		source: pipeline.Source{Kustomize: &pipeline.KustomizeSource{Path: "overlays/staging"}},
		file:   "overlays/staging/kustomization.yaml",
	}, {
		name: "helm",
		files: map[string]string{
			"chart/Chart.yaml":            "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
			"chart/values.yaml":           "image:\n  repository: registry.example.com/shop/web\n  tag: 1.0.0\n",
			"chart/templates/deploy.yaml": strings.Replace(deployYAML, "%s", `"{{ .Values.image.repository }}:{{ .Values.image.tag }}"`, 1),
			"values-prod.yaml":            "# prod\nimage:\n  tag: 1.0.0 # pinned\n",
		},
		source: pipeline.Source{Helm: &pipeline.HelmSource{Chart: "chart", Values: []string{"values-prod.yaml"}}},
		file:   "values-prod.yaml",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testutil.WriteFiles(t, dir, tt.files)
			p := &pipeline.Pipeline{Path: filepath.Join(dir, "promote.yaml")}
			env := &pipeline.Environment{Name: "staging", Namespace: "shop", Source: tt.source}
			files, err := Write(t.Context(), p, env, images(ref))
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tt.file); len(files) != 1 || files[0] != want {
				t.Errorf("files = %v, want [%s]", files, want)
			}
			b, _ := os.ReadFile(filepath.Join(dir, tt.file))
			if !strings.HasPrefix(string(b), "# ") {
				t.Errorf("the comment is gone:\n%s", b)
			}
		})
	}
}

// TestWriteRestoresWhenTheRenderDisagrees: a chart that builds its image
// from values the write does not know keeps its files, and says so.
func TestWriteRestoresWhenTheRenderDisagrees(t *testing.T) {
	dir := t.TempDir()
	values := "# prod\nimage:\n  repository: registry.example.com/shop/web\n  tag: 1.0.0\n"
	testutil.WriteFiles(t, dir, map[string]string{
		"chart/Chart.yaml":            "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"chart/templates/deploy.yaml": strings.Replace(deployYAML, "%s", `"{{ .Values.image.repository }}:v{{ .Values.image.tag }}"`, 1),
		"values-prod.yaml":            values,
	})
	p := &pipeline.Pipeline{Path: filepath.Join(dir, "promote.yaml")}
	env := &pipeline.Environment{Name: "prod", Namespace: "shop", Source: pipeline.Source{Helm: &pipeline.HelmSource{Chart: "chart", Values: []string{"values-prod.yaml"}}}}
	_, err := Write(t.Context(), p, env, images("registry.example.com/shop/web:1.1.0"))
	if err == nil || !strings.Contains(err.Error(), "imagePaths") {
		t.Fatalf("err = %v, want one pointing at helm.imagePaths", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "values-prod.yaml")); string(b) != values {
		t.Errorf("values-prod.yaml was not restored:\n%s", b)
	}
}
