package rollout

import (
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// hpaRelease is a Deployment web of image tag, rendered at 2 replicas, its
// Service and an HPA scaling it (1 to 6).
func hpaRelease(tag string) string {
	return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NS}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "registry.test/web:` + tag + `"}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: NS}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: NS}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`
}

// Given a release whose HPA scales web, when web is scaled to 4 (as the
// HPA would, through the scale subresource) and the next release changes
// its image, then web keeps 4 replicas.
func TestClusterReleaseKeepsHPAReplicas(t *testing.T) {
	e := newApplyEnv(t)
	ctx := t.Context()
	if _, err := Apply(ctx, e.clients, LeaveReplicasToHPAs(e.objs(t, hpaRelease("1"))), e.options()); err != nil {
		t.Fatal(err)
	}
	deployments := e.clients.Typed.AppsV1().Deployments(e.ns)
	scale := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: e.ns}, Spec: autoscalingv1.ScaleSpec{Replicas: 4}}
	if _, err := deployments.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{FieldManager: "hpa-test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, e.clients, LeaveReplicasToHPAs(e.objs(t, hpaRelease("2"))), e.options()); err != nil {
		t.Fatal(err)
	}
	d, err := deployments.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Spec.Template.Spec.Containers[0].Image; got != "registry.test/web:2" {
		t.Errorf("image %s, want registry.test/web:2 (the release was not applied)", got)
	}
	if got := ptr.Deref(d.Spec.Replicas, -1); got != 4 {
		t.Errorf("replicas %d after the release, want the 4 the HPA scaled to", got)
	}
}

// Given a blue-green release with an HPA on blue, when revision 2 goes to
// green and the active Service is switched, then the HPA scales web-green,
// which exists; flipped back, it scales web-blue again.
func TestClusterBlueGreenHPAFollowsTheActiveColour(t *testing.T) {
	e := newApplyEnv(t)
	ctx := t.Context()
	rel1, rel2 := LeaveReplicasToHPAs(e.objs(t, hpaRelease("1"))), LeaveReplicasToHPAs(e.objs(t, hpaRelease("2")))
	plan, err := newBlueGreenPlan(pipeline.BlueGreen{ActiveService: "web"}, rel2, rel1)
	if err != nil {
		t.Fatal(err)
	}
	blue, green := side{Color: ColorBlue}, side{Color: ColorGreen}
	if _, err := Apply(ctx, e.clients, plan.colored(rel1, ColorBlue, blue), e.options()); err != nil {
		t.Fatal(err)
	}
	assertScales(t, e, "web-blue")
	if _, err := Apply(ctx, e.clients, plan.colored(rel2, ColorGreen, blue), e.options()); err != nil {
		t.Fatal(err)
	}
	assertScales(t, e, "web-blue")

	r := &blueGreenRun{plan: plan, s: &Switch{Clients: e.clients, Namespace: e.ns, Owner: e.options().Labels,
		Emit: func(phase, format string, args ...any) { t.Logf(phase+": "+format, args...) }}}
	if _, err := ApplyOne(ctx, e.clients, plan.activeService(rel2, green), e.options()); err != nil {
		t.Fatal(err)
	}
	if err := r.applyScalers(ctx, rel2, green, false); err != nil {
		t.Fatal(err)
	}
	assertScales(t, e, "web-green")

	if err := r.applyScalers(ctx, rel1, blue, true); err != nil {
		t.Fatal(err)
	}
	assertScales(t, e, "web-blue")
}

// assertScales checks that the HPA web scales the Deployment want, which exists.
func assertScales(t *testing.T, e applyEnv, want string) {
	t.Helper()
	h, err := e.clients.Typed.AutoscalingV2().HorizontalPodAutoscalers(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Spec.ScaleTargetRef.Name; got != want {
		t.Fatalf("the HPA scales %q, want %q", got, want)
	}
	if _, err := e.clients.Typed.AppsV1().Deployments(e.ns).Get(t.Context(), want, metav1.GetOptions{}); err != nil {
		t.Fatalf("the Deployment the HPA scales: %v", err)
	}
}

// Given a release whose HPA scaled web to 4, when a replica-ratio canary
// shrinks the stable side to 3, then no field-manager conflict stops it,
// and the next release's apply leaves the 3 alone.
func TestClusterCanaryScalesHPAStableThroughScale(t *testing.T) {
	e := newApplyEnv(t)
	ctx := t.Context()
	rel1, rel2 := LeaveReplicasToHPAs(e.objs(t, hpaRelease("1"))), LeaveReplicasToHPAs(e.objs(t, hpaRelease("2")))
	if _, err := Apply(ctx, e.clients, rel1, e.options()); err != nil {
		t.Fatal(err)
	}
	if err := setScale(ctx, e.clients, e.ns, "web", 4, "hpa-test"); err != nil {
		t.Fatal(err)
	}
	plan, err := newCanaryPlan(pipeline.Canary{}, rel2, rel1)
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.liveTotals(ctx, e.clients); err != nil {
		t.Fatal(err)
	}
	if len(plan.targets) != 1 || plan.targets[0].total != 4 {
		t.Fatalf("targets %d, want 1 of 4 replicas (the live count)", len(plan.targets))
	}
	r := &canaryRun{plan: plan, s: &Switch{Clients: e.clients, Namespace: e.ns, Owner: e.options().Labels}}
	if err := r.scaleStable(ctx, plan.targets[0], 3); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, e.clients, rel2, e.options()); err != nil {
		t.Fatal(err)
	}
	d, err := e.clients.Typed.AppsV1().Deployments(e.ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ptr.Deref(d.Spec.Replicas, -1); got != 3 {
		t.Errorf("replicas %d, want 3", got)
	}
}
