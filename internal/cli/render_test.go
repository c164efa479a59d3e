package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

func TestRender(t *testing.T) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		example    string // default kustomize-shop
		args       []string
		wantCode   int
		wantOut    []string
		notWantOut []string
		wantErr    string
	}{
		{name: "yaml", args: []string{"render", "dev"}, wantOut: []string{"kind: Deployment", "namespace: shop-dev"}},
		{name: "json", args: []string{"render", "dev", "-o", "json"}, wantOut: []string{`"kind": "Deployment"`}},
		{name: "--namespace replaces the environment's", example: "helm-shop", args: []string{"render", "dev", "-n", "elsewhere"},
			wantOut: []string{"namespace: elsewhere"}, notWantOut: []string{"namespace: shop-dev"}},
		{name: "helm hooks are left out and named", example: "helm-shop", args: []string{"render", "dev"},
			wantErr:    "helm hook Pod/shop-test-connection (test) in charts/shop/templates/tests/test-connection.yaml is not rendered: `kubectl promote test` runs it",
			notWantOut: []string{"shop-test-connection"}},
		{name: "unknown environment", args: []string{"render", "qa"}, wantCode: exitcode.BadInput,
			wantErr: `unknown environment "qa" in promote.yaml; known environments: dev, staging, prod`},
		{name: "no environment", args: []string{"render"}, wantCode: exitcode.BadInput, wantErr: "accepts 1 arg(s), received 0"},
		{name: "text means yaml", args: []string{"render", "dev", "-o", "text"}, wantOut: []string{"kind: Deployment"}},
		{name: "table output refused", args: []string{"render", "dev", "-o", "wide"}, wantCode: exitcode.BadInput,
			wantErr: "-o wide: this command prints yaml, json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			example := tt.example
			if example == "" {
				example = "kustomize-shop"
			}
			res := run(t, filepath.Join(examples, example), tt.args...)
			if res.code != tt.wantCode || !strings.Contains(res.stderr, tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", res.code, res.stderr, tt.wantCode, tt.wantErr)
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(res.stdout, s) {
					t.Errorf("stdout lacks %q", s)
				}
			}
			for _, s := range tt.notWantOut {
				if strings.Contains(res.stdout, s) {
					t.Errorf("stdout has %q", s)
				}
			}
			if tt.wantCode != 0 && res.stdout != "" {
				t.Errorf("stdout = %q on failure, want nothing", res.stdout)
			}
		})
	}
}
