package cli

import (
	"strings"
	"testing"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// Bad input to `diff` is exit 2 before any cluster is contacted (the
// kubeconfig points nowhere). Cluster behaviour is tested in pkg/diff.
func TestDiffBadInput(t *testing.T) {
	dir := t.TempDir()
	testutil.WriteFiles(t, dir, map[string]string{
		"promote.yaml": `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: shop}
spec:
  environments:
  - {name: dev, namespace: shop-dev, source: {kustomize: {path: app}}}
  - {name: prod, from: dev, namespace: shop, source: {kustomize: {path: app}}}
`,
		"app/kustomization.yaml": "resources: []\n",
	})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no environment", []string{"diff"}, "accepts 1 arg(s), received 0"},
		{"unknown environment", []string{"diff", "qa"}, `"qa"`},
		{"unknown source environment", []string{"diff", "prod", "--from", "qa"}, `"qa"`},
		{"promoting into itself", []string{"diff", "prod", "--from", "prod"}, "cannot be promoted into itself"},
		{"yaml output", []string{"diff", "dev", "-o", "yaml"}, "-o yaml: this command prints text, json"},
		{"negative context", []string{"diff", "dev", "-U", "-1"}, "-U -1: must not be negative"},
		{"no concurrency", []string{"diff", "dev", "--concurrency", "0"}, "--concurrency 0: must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, dir, append(tt.args, "--kubeconfig", "/nonexistent")...)
			if res.code != exitcode.BadInput {
				t.Errorf("exit %d, want %d\n%s", res.code, exitcode.BadInput, res.stderr)
			}
			if !strings.Contains(res.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, res.stderr)
			}
		})
	}
}
