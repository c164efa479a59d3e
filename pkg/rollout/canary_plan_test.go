package rollout

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

func TestCanaryReplicas(t *testing.T) {
	tests := []struct {
		weight int
		total  int64
		want   int64
	}{
		{0, 4, 0},
		{1, 4, 1},
		{20, 5, 1},
		{20, 2, 1},
		{25, 4, 1},
		{26, 4, 2},
		{50, 3, 2},
		{99, 4, 4},
		{100, 4, 4},
		{150, 4, 4},
		{-5, 4, 0},
		{50, 0, 0},
	}
	for _, tc := range tests {
		if got := canaryReplicas(tc.weight, tc.total); got != tc.want {
			t.Errorf("canaryReplicas(%d, %d) = %d, want %d", tc.weight, tc.total, got, tc.want)
		}
	}
}

// summary is what a test compares of a plan.
type targetSummary struct {
	Name     string
	Total    int64
	Services []string
	Backends []string
}

func summarize(p *canaryPlan) []targetSummary {
	var out []targetSummary
	for _, t := range p.targets {
		s := targetSummary{Name: t.next.GetName(), Total: t.total, Backends: t.backends}
		for _, svc := range t.services {
			s.Services = append(s.Services, svc.GetName())
		}
		out = append(out, s)
	}
	return out
}

func TestNewCanaryPlan(t *testing.T) {
	prev := shop("1.0", 4, "hello")
	nginx := &pipeline.Traffic{Nginx: &pipeline.NginxTraffic{Ingress: "shop"}}
	gateway := &pipeline.Traffic{GatewayAPI: &pipeline.GatewayAPITraffic{HTTPRoute: "shop"}}
	tests := []struct {
		name      string
		traffic   *pipeline.Traffic
		next      string
		want      []targetSummary
		wantNotes []string
		wantErr   string
	}{
		{name: "unchanged template: nothing to canary", next: shop("1.0", 6, "hello")},
		{
			name: "replica ratio", next: shop("2.0", 5, "hello"),
			want: []targetSummary{{Name: "web", Total: 5, Services: []string{"web"}}},
		},
		{
			name: "nginx", traffic: nginx, next: shop("2.0", 4, "hello"),
			want: []targetSummary{{Name: "web", Total: 4, Services: []string{"web"}, Backends: []string{"web"}}},
		},
		{
			name: "gateway", traffic: gateway, next: shop("2.0", 4, "hello"),
			want: []targetSummary{{Name: "web", Total: 4, Services: []string{"web"}, Backends: []string{"web"}}},
		},
		{
			name: "changed ConfigMap read by name", next: shop("2.0", 4, "bonjour"),
			want:      []targetSummary{{Name: "web", Total: 4, Services: []string{"web"}}},
			wantNotes: []string{"ConfigMap/ns/web-config changed in this release under the same name, and the pods of Deployment/ns/web read it"},
		},
		{name: "missing ingress", traffic: &pipeline.Traffic{Nginx: &pipeline.NginxTraffic{Ingress: "nope"}}, next: shop("2.0", 4, "hello"),
			wantErr: `canary.traffic.nginx.ingress "nope": the release has no Ingress of that name`},
		{name: "missing route", traffic: &pipeline.Traffic{GatewayAPI: &pipeline.GatewayAPITraffic{HTTPRoute: "nope"}}, next: shop("2.0", 4, "hello"),
			wantErr: `canary.traffic.gatewayAPI.httpRoute "nope": the release has no HTTPRoute of that name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := newCanaryPlan(pipeline.Canary{Traffic: tc.traffic}, objs(t, tc.next), objs(t, prev))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarize(p)); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
			if len(p.notes) != len(tc.wantNotes) {
				t.Fatalf("notes %q, want %d", p.notes, len(tc.wantNotes))
			}
			for i, n := range tc.wantNotes {
				if !strings.HasPrefix(p.notes[i], n) {
					t.Errorf("note %q, want prefix %q", p.notes[i], n)
				}
			}
		})
	}
}

// names lists Kind/name of objs.
func names(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, u := range objs {
		out = append(out, u.GetKind()+"/"+u.GetName())
	}
	return out
}

func TestStartObjects(t *testing.T) {
	next, prev := objs(t, shop("2.0", 4, "hello")), objs(t, shop("1.0", 4, "hello"))
	p, err := newCanaryPlan(pipeline.Canary{Traffic: &pipeline.Traffic{Nginx: &pipeline.NginxTraffic{Ingress: "shop"}}}, next, prev)
	if err != nil {
		t.Fatal(err)
	}
	start := p.startObjects(map[string]string{"web": "abc123"}, 0)
	want := []string{"Service/web", "Ingress/shop", "HTTPRoute/shop", "ConfigMap/web-config", "Deployment/cart", "Service/cart",
		"Service/web-canary", "Ingress/shop-canary"}
	if diff := cmp.Diff(want, names(start)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	if got := serviceSelector(start[0]); !cmp.Equal(got, map[string]string{"app": "web", labelPodTemplateHash: "abc123"}) {
		t.Errorf("stable Service selector %v: not pinned to the stable pods", got)
	}
	if got := serviceSelector(start[6]); !cmp.Equal(got, map[string]string{"app": "web", LabelTrack: TrackCanary}) {
		t.Errorf("canary Service selector %v", got)
	}
	if got := serviceSelector(next[1]); len(got) != 1 {
		t.Errorf("the release's own Service was changed: %v", got)
	}
}

func TestCanaryDeployment(t *testing.T) {
	next, prev := objs(t, shop("2.0", 4, "hello")), objs(t, shop("1.0", 4, "hello"))
	p, err := newCanaryPlan(pipeline.Canary{}, next, prev)
	if err != nil {
		t.Fatal(err)
	}
	c := p.targets[0].canary(1)
	got := map[string]any{
		"name":     c.GetName(),
		"labels":   c.GetLabels(),
		"selector": stringMap(c, "spec", "selector", "matchLabels"),
		"pods":     podLabels(c),
	}
	n, _ := replicasOf(c)
	got["replicas"] = n
	want := map[string]any{
		"name":     "web-canary",
		"labels":   map[string]string{LabelTrack: TrackCanary},
		"selector": map[string]string{"app": "web", LabelTrack: TrackCanary},
		"pods":     map[string]string{"app": "web", LabelTrack: TrackCanary},
		"replicas": int64(1),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("canary Deployment (-want +got):\n%s", diff)
	}
	if podLabels(next[0])[LabelTrack] != "" {
		t.Error("the release's Deployment was changed")
	}
}
