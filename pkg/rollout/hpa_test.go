package rollout

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// hpa writes an HPA of apiVersion version in namespace ns scaling the
// workload kind/name of API group/version target.
func hpa(version, target, kind, name string) string {
	return `apiVersion: ` + version + `
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: ns}
spec:
  scaleTargetRef: {apiVersion: ` + target + `, kind: ` + kind + `, name: ` + name + `}
  minReplicas: 2
  maxReplicas: 6
`
}

const statefulDB = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ns}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db:1}]}
`

// replicasByName maps each workload of objs to its spec.replicas (-1 when absent).
func replicasByName(objs []*unstructured.Unstructured) map[string]int64 {
	m := map[string]int64{}
	for _, u := range objs {
		if !isScaledKind(u) {
			continue
		}
		n, ok := replicasOf(u)
		if !ok {
			n = -1
		}
		m[u.GetKind()+"/"+u.GetName()] = n
	}
	return m
}

func TestLeaveReplicasToHPAs(t *testing.T) {
	tests := []struct {
		name string
		hpa  string
		want map[string]int64
	}{
		{name: "no HPA", want: map[string]int64{"Deployment/web": 3, "Deployment/cart": 2, "StatefulSet/db": 3}},
		{name: "autoscaling/v2 scales web", hpa: hpa("autoscaling/v2", "apps/v1", "Deployment", "web"),
			want: map[string]int64{"Deployment/web": -1, "Deployment/cart": 2, "StatefulSet/db": 3}},
		{name: "autoscaling/v1 scales web", hpa: hpa("autoscaling/v1", "apps/v1", "Deployment", "web"),
			want: map[string]int64{"Deployment/web": -1, "Deployment/cart": 2, "StatefulSet/db": 3}},
		{name: "StatefulSet", hpa: hpa("autoscaling/v2", "apps/v1", "StatefulSet", "db"),
			want: map[string]int64{"Deployment/web": 3, "Deployment/cart": 2, "StatefulSet/db": -1}},
		{name: "other name", hpa: hpa("autoscaling/v2", "apps/v1", "Deployment", "nope"),
			want: map[string]int64{"Deployment/web": 3, "Deployment/cart": 2, "StatefulSet/db": 3}},
		{name: "other kind of that name", hpa: hpa("autoscaling/v2", "apps/v1", "StatefulSet", "web"),
			want: map[string]int64{"Deployment/web": 3, "Deployment/cart": 2, "StatefulSet/db": 3}},
		{name: "other group", hpa: hpa("autoscaling/v2", "example.com/v1", "Deployment", "web"),
			want: map[string]int64{"Deployment/web": 3, "Deployment/cart": 2, "StatefulSet/db": 3}},
		{name: "not an HPA", hpa: hpa("example.com/v1", "apps/v1", "Deployment", "web"),
			want: map[string]int64{"Deployment/web": 3, "Deployment/cart": 2, "StatefulSet/db": 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			manifest := shop("2.0", 3, "x") + "---\n" + statefulDB
			if tc.hpa != "" {
				manifest += "---\n" + tc.hpa
			}
			in := objs(t, manifest)
			before := replicasByName(in)
			got := LeaveReplicasToHPAs(in)
			if diff := cmp.Diff(tc.want, replicasByName(got)); diff != "" {
				t.Errorf("replicas (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, replicasByName(in)); diff != "" {
				t.Errorf("the input changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestBlueGreenScalers(t *testing.T) {
	release := objs(t, shop("2.0", 3, "x")+"---\n"+hpa("autoscaling/v2", "apps/v1", "Deployment", "web"))
	p, err := newBlueGreenPlan(pipeline.BlueGreen{ActiveService: "web"}, release, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		color  string
		active side
		want   string
	}{
		{name: "first release on blue", color: ColorBlue, active: side{Color: ColorBlue}, want: "web-blue"},
		{name: "green in preview, blue active", color: ColorGreen, active: side{Color: ColorBlue}, want: "web-blue"},
		{name: "switched to green", color: ColorGreen, active: side{Color: ColorGreen}, want: "web-green"},
		{name: "plain Deployment still active", color: ColorBlue, active: side{Hash: "abc"}, want: "web"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			colored := p.colored(release, tc.color, tc.active)
			var names []string
			for _, u := range colored {
				names = append(names, u.GetKind()+"/"+u.GetName())
			}
			wantNames := []string{"Deployment/web-" + tc.color, "Service/web", "Ingress/shop", "HTTPRoute/shop",
				"ConfigMap/web-config", "Deployment/cart", "Service/cart", "HorizontalPodAutoscaler/web"}
			if diff := cmp.Diff(wantNames, names); diff != "" {
				t.Errorf("colored objects (-want +got):\n%s", diff)
			}
			got := find(colored, gkHPA, "web")
			_, name, _ := scaleTarget(got)
			if name != tc.want {
				t.Errorf("colored: the HPA scales %q, want %q", name, tc.want)
			}
			scalers := p.scalers(release, tc.active)
			if len(scalers) != 1 {
				t.Fatalf("scalers: %d HPAs, want 1", len(scalers))
			}
			if _, name, _ := scaleTarget(scalers[0]); name != tc.want {
				t.Errorf("scalers: the HPA scales %q, want %q", name, tc.want)
			}
		})
	}
	if _, name, _ := scaleTarget(find(release, gkHPA, "web")); name != "web" {
		t.Errorf("the release's HPA changed: it scales %q", name)
	}
}

func TestLiveTotal(t *testing.T) {
	tests := []struct {
		name           string
		stable, canary *int32
		want           int64
	}{
		{name: "no stable Deployment", want: 3},
		{name: "scaled by the HPA to 5", stable: ptr.To[int32](5), want: 5},
		{name: "resumed at 4 stable, 1 canary", stable: ptr.To[int32](4), canary: ptr.To[int32](1), want: 5},
		{name: "scaled to 0", stable: ptr.To[int32](0), want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := liveTotal(tc.stable, tc.canary, 3); got != tc.want {
				t.Errorf("liveTotal = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCanaryTargetScaled(t *testing.T) {
	next := objs(t, shop("2.0", 3, "x")+"---\n"+hpa("autoscaling/v2", "apps/v1", "Deployment", "web"))
	p, err := newCanaryPlan(pipeline.Canary{}, LeaveReplicasToHPAs(next), objs(t, shop("1.0", 3, "x")))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, tg := range p.targets {
		got[tg.next.GetName()] = tg.scaled
	}
	if diff := cmp.Diff(map[string]bool{"web": true}, got); diff != "" {
		t.Errorf("scaled targets (-want +got):\n%s", diff)
	}
}
