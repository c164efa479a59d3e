package watch

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

func TestNewRevision(t *testing.T) {
	yes := true
	owner := []metav1.OwnerReference{{UID: "uid-set", Controller: &yes}}
	hashed := func(name, hash string) *corev1.Pod {
		return newPod(named(name), ownedBy("uid-set", map[string]string{revisionHashLabel: hash}))
	}
	set := func(kind string, gen, observed int64, status map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": kind,
			"metadata": map[string]any{"name": "set", "namespace": "shop", "uid": "uid-set", "generation": gen},
			"status":   merge(status, map[string]any{"observedGeneration": observed}),
		}}
	}
	revs := []*appsv1.ControllerRevision{
		{ObjectMeta: metav1.ObjectMeta{Name: "set-aaa", Namespace: "shop", OwnerReferences: owner, Labels: map[string]string{revisionHashLabel: "aaa"}}, Revision: 1},
		{ObjectMeta: metav1.ObjectMeta{Name: "set-bbb", Namespace: "shop", OwnerReferences: owner}, Revision: 2},
	}
	tests := []struct {
		name string
		obj  *unstructured.Unstructured
		want []string
	}{
		{name: "StatefulSet update revision", obj: set("StatefulSet", 2, 2, map[string]any{"updateRevision": "bbb"}), want: []string{"set-1"}},
		{name: "StatefulSet not yet observed", obj: set("StatefulSet", 3, 2, map[string]any{"updateRevision": "aaa"})},
		{name: "DaemonSet newest ControllerRevision", obj: set("DaemonSet", 2, 2, nil), want: []string{"set-1"}},
		{name: "ReplicaSet: all its pods", obj: set("ReplicaSet", 1, 1, nil), want: []string{"set-0", "set-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &fakeView{pods: map[types.UID]*corev1.Pod{}, revs: revs}
			for _, p := range []*corev1.Pod{hashed("set-0", "aaa"), hashed("set-1", "bbb")} {
				v.pods[p.UID] = p
			}
			pods, _ := newRevision(v, tt.obj)
			var got []string
			for _, p := range pods {
				got = append(got, p.Name)
			}
			sort.Strings(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("new pods (-want +got):\n%s", diff)
			}
		})
	}
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
