package watch

import (
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Annotation and label keys the workload controllers use for revisions.
const (
	revisionAnnotation = "deployment.kubernetes.io/revision"
	revisionHashLabel  = appsv1.ControllerRevisionHashLabelKey
)

// Group kinds whose pods the watch inspects.
var (
	gkDeployment  = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	gkReplicaSet  = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
	gkStatefulSet = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	gkDaemonSet   = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	gkJob         = schema.GroupKind{Group: "batch", Kind: "Job"}
	gkPod         = schema.GroupKind{Kind: "Pod"}
)

// hasPods reports whether Watch inspects the pods of objects of kind gk.
func hasPods(gk schema.GroupKind) bool {
	switch gk {
	case gkDeployment, gkReplicaSet, gkStatefulSet, gkDaemonSet, gkJob, gkPod:
		return true
	}
	return false
}

// view is what the watch reads from its caches; the informers implement
// it, tests fake it.
type view interface {
	object(r ref) (*unstructured.Unstructured, bool)
	pod(namespace, name string) (*corev1.Pod, bool)
	podsOwnedBy(namespace string, owner types.UID) []*corev1.Pod
	replicaSetsOwnedBy(namespace string, owner types.UID) []*appsv1.ReplicaSet
	revisionsOwnedBy(namespace string, owner types.UID) []*appsv1.ControllerRevision
}

// newRevision returns the pods of u's newest revision and, for a
// Deployment, its new ReplicaSet. Nothing is returned while the controller
// has not yet observed u's current generation: until then the revision it
// reports is the previous one, whose pods are not this rollout's.
func newRevision(v view, u *unstructured.Unstructured) ([]*corev1.Pod, *appsv1.ReplicaSet) {
	gk := u.GroupVersionKind().GroupKind()
	ns := u.GetNamespace()
	switch gk {
	case gkPod:
		if p, ok := v.pod(ns, u.GetName()); ok {
			return []*corev1.Pod{p}, nil
		}
		return nil, nil
	case gkReplicaSet, gkJob:
		return v.podsOwnedBy(ns, u.GetUID()), nil
	}
	if !observed(u) {
		return nil, nil
	}
	switch gk {
	case gkDeployment:
		rs := newReplicaSet(v, u)
		if rs == nil {
			return nil, nil
		}
		return v.podsOwnedBy(ns, rs.UID), rs
	case gkStatefulSet:
		rev, _, _ := unstructured.NestedString(u.Object, "status", "updateRevision")
		return withRevision(v.podsOwnedBy(ns, u.GetUID()), rev), nil
	case gkDaemonSet:
		return withRevision(v.podsOwnedBy(ns, u.GetUID()), daemonSetRevision(v, u)), nil
	}
	return nil, nil
}

// observed reports whether u's controller has seen its current generation.
func observed(u *unstructured.Unstructured) bool {
	og, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	return found && og >= u.GetGeneration()
}

// newReplicaSet is the ReplicaSet of a Deployment whose revision
// annotation equals the Deployment's.
func newReplicaSet(v view, d *unstructured.Unstructured) *appsv1.ReplicaSet {
	rev := d.GetAnnotations()[revisionAnnotation]
	if rev == "" {
		return nil
	}
	for _, rs := range v.replicaSetsOwnedBy(d.GetNamespace(), d.GetUID()) {
		if rs.Annotations[revisionAnnotation] == rev {
			return rs
		}
	}
	return nil
}

// daemonSetRevision is the hash of a DaemonSet's newest ControllerRevision.
func daemonSetRevision(v view, ds *unstructured.Unstructured) string {
	revs := v.revisionsOwnedBy(ds.GetNamespace(), ds.GetUID())
	if len(revs) == 0 {
		return ""
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].Revision > revs[j].Revision })
	if h := revs[0].Labels[revisionHashLabel]; h != "" {
		return h
	}
	prefix := ds.GetName() + "-"
	if len(revs[0].Name) > len(prefix) {
		return revs[0].Name[len(prefix):]
	}
	return ""
}

func withRevision(pods []*corev1.Pod, rev string) []*corev1.Pod {
	if rev == "" {
		return nil
	}
	out := pods[:0:0]
	for _, p := range pods {
		if p.Labels[revisionHashLabel] == rev {
			out = append(out, p)
		}
	}
	return out
}
