package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

func TestLoadAndValidateErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		// problems is how many problems the list must hold; 0 for a
		// single error that is not a list (syntax errors).
		problems int
	}{
		{name: "syntax", file: "syntax.yaml"},
		{name: "unclosed flow sequence", file: "syntax-flow.yaml"},
		{name: "key expected", file: "syntax-key.yaml"},
		{name: "alias bomb", file: "alias-bomb.yaml"},
		{name: "empty", file: "empty.yaml"},
		{name: "multidoc", file: "multidoc.yaml"},
		{name: "not a mapping", file: "list.yaml", problems: 3},
		{name: "unknown fields", file: "unknown-field.yaml", problems: 5},
		{name: "wrong types", file: "types.yaml", problems: 8},
		{name: "header", file: "header.yaml", problems: 2},
		{name: "duplicate keys", file: "duplicate-keys.yaml", problems: 1},
		{name: "invalid", file: "invalid.yaml", problems: 33},
		{name: "missing file", file: "nothere.yaml"},
		{name: "remote helm charts", file: "helm-remote-invalid.yaml", problems: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadAndValidate(filepath.Join("testdata", tt.file))
			if err == nil {
				t.Fatal("no error")
			}
			if got := exitcode.Code(err); got != exitcode.BadInput {
				t.Errorf("exit code = %d, want %d", got, exitcode.BadInput)
			}
			var list ProblemList
			if errors.As(err, &list) != (tt.problems > 0) || len(list) != tt.problems {
				t.Errorf("got %d problems, want %d:\n%v", len(list), tt.problems, err)
			}
			testutil.Golden(t, filepath.Join("testdata", "golden", tt.file[:len(tt.file)-len(".yaml")]+".txt"), err.Error()+"\n")
		})
	}
}

func loadAndValidate(path string) error {
	p, err := Load(path)
	if err != nil {
		return err
	}
	return p.Validate()
}

func TestLoadValid(t *testing.T) {
	p, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	f := false
	w := func(i int) *int { return &i }
	want := &Pipeline{
		APIVersion: APIVersion, Kind: Kind, Metadata: Metadata{Name: "shop"},
		Path: "testdata/valid.yaml",
		Spec: Spec{
			Defaults: &Defaults{Health: Health{Timeout: Duration(10 * time.Minute), Verify: Duration(30 * time.Second)}, History: 20},
			Environments: []Environment{{
				Name: "dev", Cluster: Cluster{Context: "dev"}, Namespace: "shop-dev",
				Source: Source{Kustomize: &KustomizeSource{Path: "app/overlays/dev"}},
			}, {
				Name: "staging", From: "dev", Namespace: "shop-staging",
				Source: Source{Kustomize: &KustomizeSource{Path: "app/overlays/staging"}},
				Strategy: Strategy{Canary: &Canary{
					Traffic: &Traffic{Nginx: &NginxTraffic{Ingress: "shop"}},
					Steps: []CanaryStep{{Weight: w(20)}, {Pause: &Pause{Duration: Duration(30 * time.Second)}},
						{Weight: w(50)}, {Pause: &Pause{}}},
				}},
				Health: Health{RestartLimit: 5},
			}, {
				Name: "prod", From: "staging", Cluster: Cluster{Context: "prod"}, Namespace: "shop",
				Source: Source{Helm: &HelmSource{
					Chart: "chart", ReleaseName: "shop", Values: []string{"chart/values-prod.yaml"},
					Set: map[string]string{"image.tag": "1.2", "debug": "true"},
				}},
				Strategy: Strategy{BlueGreen: &BlueGreen{ActiveService: "shop", PreviewService: "shop-preview",
					AutoPromote: &f, ScaleDownDelay: Duration(5 * time.Minute)}},
				Gates:   Gates{Soak: Duration(time.Hour), Approval: ApprovalRequired},
				History: 3,
			}},
		},
	}
	if diff := cmp.Diff(want, p, cmpopts.IgnoreFields(Pipeline{}, "Lines")); diff != "" {
		t.Errorf("Load() mismatch (-want +got):\n%s", diff)
	}
	lines := map[string]int{
		"spec.environments[1].from":                     14,
		"spec.environments[2].source.helm.values[0]":    30,
		"spec.environments[1].strategy.canary.steps[1]": 20,
	}
	for path, want := range lines {
		if got := p.Lines[path]; got != want {
			t.Errorf("Lines[%q] = %d, want %d", path, got, want)
		}
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "a", FileName)
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory called promote.yaml is not a pipeline file, and the
	// parent's pipeline must not be used in its place.
	dirNamedLikeFile := filepath.Join(root, "a", "b", FileName)
	if err := os.Mkdir(dirNamedLikeFile, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir     string
		want    string
		wantErr string
	}{
		{dir: deep, wantErr: dirNamedLikeFile + " is a directory, not a pipeline file"},
		{dir: filepath.Join(root, "a"), want: file},
		{dir: root, wantErr: "no promote.yaml in " + root},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			got, err := Find(tt.dir)
			if (err != nil) != (tt.wantErr != "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Find() error = %v, want %q", err, tt.wantErr)
			}
			if err != nil && exitcode.Code(err) != exitcode.BadInput {
				t.Errorf("exit code = %d, want %d", exitcode.Code(err), exitcode.BadInput)
			}
			if got != tt.want {
				t.Errorf("Find() = %q, want %q", got, tt.want)
			}
		})
	}
}
