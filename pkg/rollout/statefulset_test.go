package rollout

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
)

func TestPlanStatefulSetRollback(t *testing.T) {
	// pod is db-<ordinal> on revision rev, Ready or not.
	pod := func(name, rev string, ready bool) *corev1.Pod {
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{appsv1.ControllerRevisionHashLabelKey: rev}},
			Status:     corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
		}
	}
	deleting := func(p *corev1.Pod) *corev1.Pod {
		p.DeletionTimestamp = &metav1.Time{}
		return p
	}
	sts := func(strategy appsv1.StatefulSetUpdateStrategy) *appsv1.StatefulSet {
		return &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: "db"},
			Spec:       appsv1.StatefulSetSpec{UpdateStrategy: strategy},
			Status:     appsv1.StatefulSetStatus{UpdateRevision: "old", CurrentRevision: "bad"},
		}
	}
	rolling := appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}
	partition := func(n int32) appsv1.StatefulSetUpdateStrategy {
		return appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType,
			RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To(n)}}
	}
	tests := []struct {
		name string
		sts  *appsv1.StatefulSet
		pods []*corev1.Pod
		want []PodRollback
	}{
		{
			name: "the stuck pod of the failed revision goes",
			sts:  sts(rolling),
			pods: []*corev1.Pod{pod("db-0", "old", true), pod("db-1", "old", true), pod("db-2", "bad", false)},
			want: []PodRollback{{Name: "db-2", Ordinal: 2}},
		},
		{
			name: "several not Ready: highest ordinal first (10 after 9 numerically)",
			sts:  sts(rolling),
			pods: []*corev1.Pod{pod("db-9", "bad", false), pod("db-10", "bad", false), pod("db-2", "bad", false), pod("db-1", "old", false)},
			want: []PodRollback{{Name: "db-10", Ordinal: 10}, {Name: "db-9", Ordinal: 9}, {Name: "db-2", Ordinal: 2}},
		},
		{
			name: "Ready pods of the failed revision are the controller's",
			sts:  sts(rolling),
			pods: []*corev1.Pod{pod("db-0", "old", true), pod("db-1", "bad", true), pod("db-2", "bad", false)},
			want: []PodRollback{{Name: "db-2", Ordinal: 2}},
		},
		{
			name: "partition: pods below it were never part of the rollout",
			sts:  sts(partition(2)),
			pods: []*corev1.Pod{pod("db-0", "other", false), pod("db-1", "other", false), pod("db-2", "bad", false), pod("db-3", "bad", false)},
			want: []PodRollback{{Name: "db-3", Ordinal: 3}, {Name: "db-2", Ordinal: 2}},
		},
		{
			name: "pods being deleted, foreign names and pods on the update revision stay",
			sts:  sts(rolling),
			pods: []*corev1.Pod{deleting(pod("db-3", "bad", false)), pod("dbx-1", "bad", false), pod("db-x", "bad", false), pod("db-0", "old", false)},
		},
		{
			name: "no update revision known: nothing",
			sts:  func() *appsv1.StatefulSet { s := sts(rolling); s.Status.UpdateRevision = ""; return s }(),
			pods: []*corev1.Pod{pod("db-0", "bad", false)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PlanStatefulSetRollback(tt.sts, tt.pods)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PlanStatefulSetRollback() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefuseOnDeleteStatefulSets(t *testing.T) {
	sts := func(strategy string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "StatefulSet",
			"metadata": map[string]any{"name": "db", "namespace": "shop"},
			"spec":     map[string]any{},
		}}
		if strategy != "" {
			u.Object["spec"] = map[string]any{"updateStrategy": map[string]any{"type": strategy}}
		}
		return u
	}
	deploy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"strategy": map[string]any{"type": "OnDelete"}},
	}}
	tests := []struct {
		name    string
		objs    []*unstructured.Unstructured
		wantErr string
	}{
		{"default strategy", []*unstructured.Unstructured{sts("")}, ""},
		{"rolling update", []*unstructured.Unstructured{sts("RollingUpdate")}, ""},
		{"on delete", []*unstructured.Unstructured{deploy, sts("OnDelete")}, "StatefulSet/shop/db: updateStrategy OnDelete is not supported"},
		{"not a StatefulSet", []*unstructured.Unstructured{deploy}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := RefuseOnDeleteStatefulSets(tt.objs)
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("RefuseOnDeleteStatefulSets() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
