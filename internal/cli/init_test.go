package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

func TestInit(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		args   []string
		golden string
	}{
		{
			name: "kustomize",
			files: map[string]string{
				"deploy/base/kustomization.yaml":                kustomization,
				"deploy/overlays/production/kustomization.yaml": kustomization,
				"deploy/overlays/staging/kustomization.yaml":    kustomization,
				"deploy/overlays/dev/kustomization.yaml":        kustomization,
				"deploy/overlays/qa/kustomization.yaml":         kustomization,
			},
			args:   []string{"init"},
			golden: "init-kustomize",
		},
		{
			name: "helm, into another directory with -f",
			files: map[string]string{
				"app/Chart.yaml":        "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
				"app/values.yaml":       "replicaCount: 1\n",
				"app/values-prod.yaml":  "replicaCount: 3\n",
				"app/values-stage.yaml": "replicaCount: 2\n",
				"app/values-dev.yaml":   "replicaCount: 1\n",
				"pipelines/.keep":       "",
			},
			args:   []string{"init", "app", "-f", "pipelines/promote.yaml"},
			golden: "init-helm",
		},
		{
			name: "kustomize overlays that set their namespaces",
			files: map[string]string{
				"deploy/bases/web/kustomization.yaml":           kustomization + "resources: [web.yaml]\n",
				"deploy/bases/web/web.yaml":                     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
				"deploy/bases/ns/kustomization.yaml":            kustomization + "namespace: shared\nresources: [../web]\n",
				"deploy/overlays/dev/kustomization.yaml":        kustomization + "namespace: dev\nresources: [namespace.yaml, ../../bases/web]\n",
				"deploy/overlays/dev/namespace.yaml":            "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n",
				"deploy/overlays/staging/kustomization.yaml":    kustomization + "resources: [../../bases/ns]\n",
				"deploy/overlays/production/kustomization.yaml": kustomization + "resources: [../../bases/web]\n",
				"deploy/overlays/qa/kustomization.yaml":         kustomization + "resources: [missing.yaml]\n",
			},
			args:   []string{"init"},
			golden: "init-namespaces",
		},
		{
			name: "helm skips values files that are no environment",
			files: map[string]string{
				"app/Chart.yaml":       "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
				"app/values.yaml":      "replicaCount: 1\n",
				"app/values-prod.yaml": "replicaCount: 3\n",
				"app/values-bad.yaml":  "replicaCount: 2\n",
				"app/values-dev.yaml":  "replicaCount: 1\n",
			},
			args:   []string{"init", "app"},
			golden: "init-helm-skipped",
		},
		{
			name: "helm --include-all",
			files: map[string]string{
				"app/Chart.yaml":       "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
				"app/values.yaml":      "replicaCount: 1\n",
				"app/values-prod.yaml": "replicaCount: 3\n",
				"app/values-bad.yaml":  "replicaCount: 2\n",
				"app/values-dev.yaml":  "replicaCount: 1\n",
			},
			args:   []string{"init", "app", "--include-all"},
			golden: "init-helm-all",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "shop")
			testutil.WriteFiles(t, dir, tt.files)
			res := run(t, dir, tt.args...)
			if res.code != 0 || res.stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", res.code, res.stdout, res.stderr)
			}
			written := "promote.yaml"
			if len(tt.args) > 1 && !strings.HasPrefix(tt.args[1], "-") {
				written = filepath.Join(tt.args[1], "promote.yaml")
			}
			if i := slices.Index(tt.args, "-f"); i >= 0 {
				written = tt.args[i+1]
			}
			data, err := os.ReadFile(filepath.Join(dir, written))
			if err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join("testdata", tt.golden+".yaml"), string(data))
			testutil.Golden(t, filepath.Join("testdata", tt.golden+".stderr"), res.stderr)
			p, err := pipeline.Load(filepath.Join(dir, written))
			if err == nil {
				err = p.Validate()
			}
			if err != nil {
				t.Errorf("written file does not validate: %v", err)
			}
		})
	}
}

func TestInitRefusals(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		args     []string
		wantCode int
		wantErr  string
		keep     string
	}{
		{name: "existing file", files: map[string]string{"promote.yaml": "mine\n", "overlays/dev/kustomization.yaml": kustomization}, args: []string{"init"},
			wantCode: exitcode.BadInput, wantErr: "promote.yaml already exists; pass --force to overwrite it", keep: "mine\n"},
		{name: "force", files: map[string]string{"promote.yaml": "mine\n", "overlays/dev/kustomization.yaml": kustomization}, args: []string{"init", "--force"}},
		{name: "no layout", files: map[string]string{"README.md": "x"}, args: []string{"init"},
			wantCode: exitcode.BadInput, wantErr: "no layout found"},
		{name: "not a directory", args: []string{"init", "nowhere"}, wantCode: exitcode.BadInput, wantErr: "nowhere is not a directory"},
		{name: "two directories", args: []string{"init", "a", "b"}, wantCode: exitcode.BadInput, wantErr: "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testutil.WriteFiles(t, dir, tt.files)
			res := run(t, dir, tt.args...)
			if res.code != tt.wantCode || !strings.Contains(res.stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", res.code, res.stderr, tt.wantCode, tt.wantErr)
			}
			if res.stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.stdout)
			}
			if tt.keep != "" {
				if data, _ := os.ReadFile(filepath.Join(dir, "promote.yaml")); string(data) != tt.keep {
					t.Errorf("promote.yaml was changed to %q", data)
				}
			}
		})
	}
}
