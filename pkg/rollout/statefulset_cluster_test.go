package rollout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// clusterWait bounds every wait of these tests: $ROLLOUT_TEST_WAIT, else
// 60s. Things happen within seconds; the margin is for a loaded machine.
func clusterWait() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("ROLLOUT_TEST_WAIT")); err == nil && d > 0 {
		return d
	}
	return 60 * time.Second
}

// statefulSet is StatefulSet db: replicas pods of image, with strategy.
func statefulSet(ns, image string, replicas int32, strategy string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "StatefulSet",
		"metadata": map[string]any{"name": "db", "namespace": ns},
		"spec": map[string]any{
			"serviceName":    "db",
			"replicas":       int64(replicas),
			"updateStrategy": map[string]any{"type": strategy},
			"selector":       map[string]any{"matchLabels": map[string]any{"app": "db"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "db"}},
				"spec":     map[string]any{"containers": []any{map[string]any{"name": "db", "image": image}}},
			},
		},
	}}
}

func applyObject(t *testing.T, c *kube.Clients, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	body, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	gvk := u.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatal(err)
	}
	force := true
	got, err := c.Dynamic.Resource(m.Resource).Namespace(u.GetNamespace()).Patch(t.Context(), u.GetName(), types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: "rollout-test", Force: &force})
	if err != nil {
		t.Fatalf("apply %s: %v", kube.RefOf(u), err)
	}
	return got
}

// waitPods waits until every pod of StatefulSet ns/db satisfies ok.
func waitPods(t *testing.T, c *kube.Clients, ns, what string, replicas int, ok func(sts *appsv1.StatefulSet, p *corev1.Pod) bool) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, clusterWait(), true, func(ctx context.Context) (bool, error) {
		sts, err := c.Typed.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pods, err := c.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=db"})
		if err != nil {
			return false, err
		}
		last = fmt.Sprintf("update revision %s, observed %d/%d;", sts.Status.UpdateRevision, sts.Status.ObservedGeneration, sts.Generation)
		good := 0
		for i := range pods.Items {
			p := &pods.Items[i]
			last += fmt.Sprintf(" %s rev=%s ready=%v", p.Name, p.Labels[appsv1.ControllerRevisionHashLabelKey], isReady(p))
			if p.DeletionTimestamp == nil && ok(sts, p) {
				good++
			}
		}
		return good == replicas && sts.Status.ObservedGeneration >= sts.Generation, nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v; last seen: %s", what, err, last)
	}
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// TestClusterStatefulSetRollback: a StatefulSet release crash-loops, the
// undo reverts its template, and FinishStatefulSetRollbacks brings every
// pod back on the previous revision, Ready — which the StatefulSet
// controller alone never does for a pod that never became Ready.
func TestClusterStatefulSetRollback(t *testing.T) {
	tests := []struct {
		name     string
		strategy string
		// wantDeleted: the controller rolls highest first and stops at the
		// first pod that is not Ready (OrderedReady), so that one is stuck.
		wantDeleted []string
	}{
		{name: "RollingUpdate", strategy: "RollingUpdate", wantDeleted: []string{"db-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := localcluster.Shared(t)
			c, err := kube.NewForConfig(cl.RESTConfig())
			if err != nil {
				t.Fatal(err)
			}
			ns := cl.Namespace(t, "sts")
			const replicas = 3
			applyObject(t, c, statefulSet(ns, "example.com/db:1", replicas, tt.strategy))
			var good string
			waitPods(t, c, ns, "the first release Ready", replicas, func(sts *appsv1.StatefulSet, p *corev1.Pod) bool {
				good = sts.Status.UpdateRevision
				return isReady(p) && p.Labels[appsv1.ControllerRevisionHashLabelKey] == good
			})

			applyObject(t, c, statefulSet(ns, "example.com/db:2-crashloop", replicas, tt.strategy))
			waitStuck(t, c, ns, good)

			start := time.Now()
			reverted := applyObject(t, c, statefulSet(ns, "example.com/db:1", replicas, tt.strategy))
			ctx, cancel := context.WithTimeout(t.Context(), clusterWait())
			defer cancel()
			var deleted []string
			emit := func(_, format string, args ...any) { deleted = append(deleted, fmt.Sprint(args[2])) }
			if err := rollout.FinishStatefulSetRollbacks(ctx, c, []*unstructured.Unstructured{reverted}, rollout.StatefulSetRollbackOptions{Interval: 100 * time.Millisecond, Emit: emit}); err != nil {
				t.Fatalf("FinishStatefulSetRollbacks() = %v", err)
			}
			if diff := cmp.Diff(tt.wantDeleted, deleted); diff != "" {
				t.Errorf("deleted pods (-want +got):\n%s", diff)
			}
			waitPods(t, c, ns, "every pod back on the previous revision, Ready", replicas, func(sts *appsv1.StatefulSet, p *corev1.Pod) bool {
				return isReady(p) && p.Labels[appsv1.ControllerRevisionHashLabelKey] == good && sts.Status.UpdateRevision == good
			})
			t.Logf("back on revision %s, Ready, %s after the revert; %q", good, time.Since(start).Round(time.Millisecond), deleted)
		})
	}
}

// waitStuck waits until some pod of StatefulSet ns/db is on another
// revision than good and not Ready: the failed release's.
func waitStuck(t *testing.T, c *kube.Clients, ns, good string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, clusterWait(), true, func(ctx context.Context) (bool, error) {
		pods, err := c.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=db"})
		if err != nil {
			return false, err
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			if rev := p.Labels[appsv1.ControllerRevisionHashLabelKey]; rev != "" && rev != good && !isReady(p) && len(p.Status.ContainerStatuses) > 0 {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("waiting for a crash-looping pod of the new revision: %v", err)
	}
}
