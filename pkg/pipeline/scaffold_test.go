package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
)

const kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		opts    DetectOptions
		files   map[string]string
		want    *Layout
		wantErr string
	}{
		{
			name: "kustomize, nested, ordered",
			files: map[string]string{
				"deploy/base/kustomization.yaml":                kustomization,
				"deploy/overlays/prod/kustomization.yaml":       kustomization,
				"deploy/overlays/staging/kustomization.yml":     kustomization,
				"deploy/overlays/dev/kustomization.yaml":        kustomization,
				"deploy/overlays/qa/kustomization.yaml":         kustomization,
				"deploy/overlays/perf/kustomization.yaml":       kustomization,
				"deploy/overlays/demo/Kustomization":            kustomization,
				"deploy/overlays/preprod/kustomization.yaml":    kustomization,
				"deploy/overlays/notes/README.md":               "not an overlay",
				"deploy/overlays/Diff/kustomization.yaml":       kustomization,
				".git/overlays/x/kustomization.yaml":            kustomization,
				"other/deeper/overlays/x/kustomization.yaml":    kustomization,
				"deploy/overlays/production/kustomization.yaml": kustomization,
			},
			want: &Layout{App: "shop", Source: "kustomize", Root: "deploy/overlays", Envs: []LayoutEnv{
				{Name: "dev", Path: "deploy/overlays/dev"},
				{Name: "qa", Path: "deploy/overlays/qa"},
				{Name: "demo", Path: "deploy/overlays/demo"},
				{Name: "diff-env", Path: "deploy/overlays/Diff"},
				{Name: "perf", Path: "deploy/overlays/perf"},
				{Name: "staging", Path: "deploy/overlays/staging"},
				{Name: "preprod", Path: "deploy/overlays/preprod"},
				{Name: "prod", Path: "deploy/overlays/prod"},
				{Name: "production", Path: "deploy/overlays/production"},
			}},
		},
		{
			name: "helm",
			files: map[string]string{
				"charts/web/Chart.yaml":          "apiVersion: v2\nname: web-shop\nversion: 0.1.0\n",
				"charts/web/values.yaml":         "a: 1\n",
				"charts/web/values-prod.yaml":    "a: 3\n",
				"charts/web/values-test.yaml":    "a: 0\n",
				"charts/web/values-staging.yaml": "a: 2\n",
			},
			want: &Layout{App: "web-shop", Source: "helm", Root: "charts/web", Envs: []LayoutEnv{
				{Name: "test-env", Path: "charts/web/values-test.yaml"}, // test is a command
				{Name: "staging", Path: "charts/web/values-staging.yaml"},
				{Name: "prod", Path: "charts/web/values-prod.yaml"},
			}},
		},
		{
			name: "helm: unrecognised names are skipped",
			files: map[string]string{
				"chart/Chart.yaml":        "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
				"chart/values-prod.yaml":  "a: 3\n",
				"chart/values-bad.yaml":   "a: 0\n",
				"chart/values-dev.yaml":   "a: 1\n",
				"chart/values-Extra.yaml": "a: 1\n",
			},
			want: &Layout{App: "shop", Source: "helm", Root: "chart", Envs: []LayoutEnv{
				{Name: "dev", Path: "chart/values-dev.yaml"},
				{Name: "prod", Path: "chart/values-prod.yaml"},
			}, Skipped: []LayoutEnv{
				{Name: "bad", Path: "chart/values-bad.yaml"},
				{Name: "extra", Path: "chart/values-Extra.yaml"},
			}},
		},
		{
			name: "helm: --include-all chains them",
			opts: DetectOptions{IncludeAll: true},
			files: map[string]string{
				"chart/Chart.yaml":       "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
				"chart/values-prod.yaml": "a: 3\n",
				"chart/values-bad.yaml":  "a: 0\n",
				"chart/values-dev.yaml":  "a: 1\n",
			},
			want: &Layout{App: "shop", Source: "helm", Root: "chart", Envs: []LayoutEnv{
				{Name: "dev", Path: "chart/values-dev.yaml"},
				{Name: "bad", Path: "chart/values-bad.yaml"},
				{Name: "prod", Path: "chart/values-prod.yaml"},
			}},
		},
		{
			name: "helm: only unrecognised names",
			files: map[string]string{
				"chart/Chart.yaml":      "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
				"chart/values-bad.yaml": "a: 0\n",
			},
			wantErr: "no values file in ",
		},
		{
			name:    "nothing",
			files:   map[string]string{"charts/web/Chart.yaml": "name: web\n", "overlays/README": "x"},
			wantErr: "no layout found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "shop")
			testutil.WriteFiles(t, root, tt.files)
			got, err := Detect(root, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Detect() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Detect() mismatch (-want +got):\n%s", diff)
			}
			// The pipeline built from it must load and validate.
			p, err := got.Pipeline(root, root)
			if err != nil {
				t.Fatal(err)
			}
			data, err := Marshal(p, "")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, FileName)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			loaded, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := loaded.Validate(); err != nil {
				t.Fatalf("generated pipeline does not validate: %v\n%s", err, data)
			}
		})
	}
}
