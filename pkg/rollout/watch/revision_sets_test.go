package watch

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestMachineOnlyNewRevisionCountsSets: for a StatefulSet (pods labelled
// with its status.updateRevision) and a DaemonSet (its newest
// ControllerRevision), the pod rules judge the new revision's pods only,
// exactly as a Deployment's new ReplicaSet's (TestMachineOnlyNewRevisionCounts).
func TestMachineOnlyNewRevisionCountsSets(t *testing.T) {
	crash := []podOpt{ready(false), restarts(4), waiting("CrashLoopBackOff", "back-off")}
	yes := true
	owner := []metav1.OwnerReference{{UID: "uid-set", Controller: &yes}}
	set := func(kind string) map[string]any {
		return map[string]any{
			"apiVersion": "apps/v1", "kind": kind,
			"metadata": map[string]any{"name": "set", "namespace": "shop", "uid": "uid-set", "generation": int64(2)},
			"spec":     map[string]any{"replicas": int64(2)},
			"status":   map[string]any{"observedGeneration": int64(2), "updateRevision": "new", "currentRevision": "old"},
		}
	}
	kinds := []struct {
		kind string
		gk   schema.GroupKind
	}{{"StatefulSet", gkStatefulSet}, {"DaemonSet", gkDaemonSet}}
	cases := []struct {
		name     string
		old, new []podOpt
		want     string
	}{
		{name: "old pods healthy, new pods crash", new: crash, want: "Pod/shop/set-new"},
		{name: "old pods crash, new pods healthy", old: crash},
	}
	for _, k := range kinds {
		for _, tt := range cases {
			t.Run(k.kind+": "+tt.name, func(t *testing.T) {
				r := ref{id: k.kind + "/shop/set", gk: k.gk, namespace: "shop", name: "set"}
				w := newWorld(t, Options{Verify: 5 * time.Second}, r)
				w.v.objects[r.id] = unstructuredOf(set(k.kind))
				w.v.revs = []*appsv1.ControllerRevision{
					{ObjectMeta: metav1.ObjectMeta{Name: "set-old", Namespace: "shop", OwnerReferences: owner, Labels: map[string]string{revisionHashLabel: "old"}}, Revision: 1},
					{ObjectMeta: metav1.ObjectMeta{Name: "set-new", Namespace: "shop", OwnerReferences: owner, Labels: map[string]string{revisionHashLabel: "new"}}, Revision: 2},
				}
				w.setPod(newPod(append([]podOpt{named("set-old"), ownedBy("uid-set", map[string]string{revisionHashLabel: "old"})}, tt.old...)...))
				w.setPod(newPod(append([]podOpt{named("set-new"), ownedBy("uid-set", map[string]string{revisionHashLabel: "new"})}, tt.new...)...))
				done, _, err := w.at(0)
				if tt.want == "" {
					if err != nil {
						t.Fatalf("got %v, want no failure: the crashing pod is of the old revision", err)
					}
					return
				}
				f, ok := err.(*Failure)
				if !done || !ok || f.Object != tt.want {
					t.Fatalf("got done=%v err=%v, want a failure of %s", done, err, tt.want)
				}
			})
		}
	}
}

func unstructuredOf(m map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: m}
}
