package render

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

func TestForBadSources(t *testing.T) {
	p := &pipeline.Pipeline{Path: "testdata/fixtures/promote.yaml"}
	for _, tc := range []struct {
		name string
		env  *pipeline.Environment
		want string
	}{
		{"nil", nil, "no pipeline or environment"},
		{"no source", &pipeline.Environment{Name: "dev"}, `promote.yaml: environment "dev": no source`},
		{"both", &pipeline.Environment{Name: "dev", Source: pipeline.Source{
			Kustomize: &pipeline.KustomizeSource{Path: "overlays/plain"},
			Helm:      &pipeline.HelmSource{Chart: "charts/platform"},
		}}, "either kustomize or helm"},
		{"empty path", &pipeline.Environment{Name: "dev", Source: pipeline.Source{Kustomize: &pipeline.KustomizeSource{}}}, "kustomize.path is empty"},
		{"file not dir", &pipeline.Environment{Name: "dev", Source: pipeline.Source{Kustomize: &pipeline.KustomizeSource{Path: "promote.yaml"}}}, "is not a directory"},
		{"bad kube version", &pipeline.Environment{Name: "dev", Source: pipeline.Source{Helm: &pipeline.HelmSource{Chart: "charts/platform", KubeVersion: "latest"}}}, `kubeVersion "latest"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := For(p, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("For() = %v, want an error containing %q", err, tc.want)
			}
			if exitcode.Code(err) != exitcode.BadInput {
				t.Errorf("exit code %d, want %d", exitcode.Code(err), exitcode.BadInput)
			}
		})
	}
}

// TestRenderCanceled: a canceled render is not bad input.
func TestRenderCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range envsOf(t, "testdata/fixtures/promote.yaml") {
		r, err := For(c.p, c.env)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Render(ctx, Options{}); !errors.Is(err, context.Canceled) || exitcode.Code(err) == exitcode.BadInput {
			t.Errorf("%s: Render(canceled) = %v, want context.Canceled", c.name, err)
		}
	}
}

// TestChartVersion: the promoted chart version is recorded, with a warning
// when the local chart differs.
func TestChartVersion(t *testing.T) {
	c := envsOf(t, "testdata/fixtures/promote.yaml")[2]
	for _, tc := range []struct{ promoted, want, warning string }{
		{"", "1.2.3", ""},
		{"1.2.3", "1.2.3", ""},
		{"1.3.0", "1.3.0", "chart version 1.3.0 is promoted, but the local chart platform is version 1.2.3"},
	} {
		res := mustRender(t, c, Options{ChartVersion: tc.promoted})
		if res.ChartVersion != tc.want {
			t.Errorf("promoted %q: ChartVersion = %q, want %q", tc.promoted, res.ChartVersion, tc.want)
		}
		found := tc.warning == ""
		for _, w := range res.Warnings {
			found = found || strings.Contains(w, tc.warning)
		}
		if !found {
			t.Errorf("promoted %q: warnings %q lack %q", tc.promoted, res.Warnings, tc.warning)
		}
	}
}

// TestDefaultKubeVersion keeps DefaultKubeVersion in step with the
// client-go the module requires, as helm's Makefile derives its default.
func TestDefaultKubeVersion(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s.io/client-go v0\.(\d+)\.`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod does not require k8s.io/client-go")
	}
	if want := "v1." + string(m[1]) + ".0"; DefaultKubeVersion != want {
		t.Errorf("DefaultKubeVersion = %s, want %s (from go.mod's client-go)", DefaultKubeVersion, want)
	}
}
