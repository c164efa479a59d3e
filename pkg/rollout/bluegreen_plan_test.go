package rollout

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

func TestNewBlueGreenPlan(t *testing.T) {
	tests := []struct {
		name        string
		spec        pipeline.BlueGreen
		wantTargets []string
		wantErr     string
	}{
		{name: "active Service selects web", spec: pipeline.BlueGreen{ActiveService: "web"}, wantTargets: []string{"web"}},
		{name: "cart", spec: pipeline.BlueGreen{ActiveService: "cart", PreviewService: "web"}, wantTargets: []string{"cart"}},
		{name: "no such active Service", spec: pipeline.BlueGreen{ActiveService: "nope"},
			wantErr: `blueGreen.activeService "nope": the release has no Service of that name`},
		{name: "no such preview Service", spec: pipeline.BlueGreen{ActiveService: "web", PreviewService: "nope"},
			wantErr: `blueGreen.previewService "nope": the release has no Service of that name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := newBlueGreenPlan(tc.spec, objs(t, shop("2.0", 3, "x")), objs(t, shop("1.0", 3, "x")))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantTargets, p.targets); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestColored(t *testing.T) {
	next := objs(t, shop("2.0", 3, "x")+"---\napiVersion: v1\nkind: Service\nmetadata: {name: web-preview, namespace: ns}\nspec:\n  selector: {app: web}\n")
	p, err := newBlueGreenPlan(pipeline.BlueGreen{ActiveService: "web", PreviewService: "web-preview"}, next, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		active        side
		wantActiveSel map[string]string
	}{
		{"active on blue", side{Color: ColorBlue}, map[string]string{"app": "web", LabelColor: ColorBlue}},
		{"active on a plain release", side{Hash: "abc"}, map[string]string{"app": "web", labelPodTemplateHash: "abc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := p.colored(next, ColorGreen, tc.active)
			want := []string{"Deployment/web-green", "Service/web", "Ingress/shop", "HTTPRoute/shop", "ConfigMap/web-config", "Deployment/cart", "Service/cart", "Service/web-preview"}
			if diff := cmp.Diff(want, names(got)); diff != "" {
				t.Fatalf("objects (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantActiveSel, serviceSelector(got[1])); diff != "" {
				t.Errorf("active selector (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"app": "web", LabelColor: ColorGreen}, serviceSelector(got[7])); diff != "" {
				t.Errorf("preview selector (-want +got):\n%s", diff)
			}
			d := got[0]
			if diff := cmp.Diff(map[string]string{"app": "web", LabelColor: ColorGreen}, stringMap(d, "spec", "selector", "matchLabels")); diff != "" {
				t.Errorf("green selector (-want +got):\n%s", diff)
			}
			if podLabels(d)[LabelColor] != ColorGreen || d.GetLabels()[LabelColor] != ColorGreen {
				t.Errorf("green pods or Deployment not labelled: %v %v", podLabels(d), d.GetLabels())
			}
			if got[5] != next[5] {
				t.Error("cart, not behind the active Service, was changed")
			}
		})
	}
	if _, ok := serviceSelector(next[1])[LabelColor]; ok {
		t.Error("the release's own Service was changed")
	}
}

func TestSide(t *testing.T) {
	tests := []struct {
		side      side
		wantName  string
		wantOther string
	}{
		{side{Color: ColorBlue}, "blue", "green"},
		{side{Color: ColorGreen}, "green", "blue"},
		{side{Hash: "abc"}, "stable", "blue"},
	}
	for _, tc := range tests {
		if got := tc.side.String(); got != tc.wantName {
			t.Errorf("%+v.String() = %q, want %q", tc.side, got, tc.wantName)
		}
		if got := tc.side.other(); got != tc.wantOther {
			t.Errorf("%+v.other() = %q, want %q", tc.side, got, tc.wantOther)
		}
	}
}
