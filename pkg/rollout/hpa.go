package rollout

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	gkHPA         = schema.GroupKind{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}
	gkStatefulSet = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	gkReplicaSet  = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
)

// scaledKinds are the workloads whose spec.replicas an HPA may own.
var scaledKinds = []schema.GroupKind{gkDeployment, gkStatefulSet, gkReplicaSet}

// scaleTarget returns the group, kind and name an HPA's scaleTargetRef
// names; ok is false for an object that is not an HPA or names nothing.
func scaleTarget(hpa *unstructured.Unstructured) (gk schema.GroupKind, name string, ok bool) {
	if !isKind(hpa, gkHPA) {
		return gk, "", false
	}
	ref, found, _ := unstructured.NestedStringMap(hpa.Object, "spec", "scaleTargetRef")
	if !found || ref["name"] == "" || ref["kind"] == "" {
		return gk, "", false
	}
	gv, err := schema.ParseGroupVersion(ref["apiVersion"])
	if err != nil {
		return gk, "", false
	}
	return schema.GroupKind{Group: gv.Group, Kind: ref["kind"]}, ref["name"], true
}

// scaledByHPA tells whether an HPA of objs targets the workload w.
func scaledByHPA(objs []*unstructured.Unstructured, w *unstructured.Unstructured) bool {
	for _, h := range objs {
		gk, name, ok := scaleTarget(h)
		if ok && gk == w.GroupVersionKind().GroupKind() && name == w.GetName() && h.GetNamespace() == w.GetNamespace() {
			return true
		}
	}
	return false
}

// LeaveReplicasToHPAs returns objs with spec.replicas dropped from every
// Deployment, StatefulSet and ReplicaSet that an HPA of objs scales, as
// Argo CD and Flux advise: applied, the rendered count would reset what
// the HPA scaled to at each release. Changed objects are copies; the
// others are returned as they are.
func LeaveReplicasToHPAs(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, u := range objs {
		out[i] = u
		if !isScaledKind(u) || !scaledByHPA(objs, u) {
			continue
		}
		if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "replicas"); found {
			out[i] = u.DeepCopy()
			unstructured.RemoveNestedField(out[i].Object, "spec", "replicas")
		}
	}
	return out
}

func isScaledKind(u *unstructured.Unstructured) bool {
	for _, gk := range scaledKinds {
		if isKind(u, gk) {
			return true
		}
	}
	return false
}

// retargeted returns a copy of the HPA h scaling the Deployment name.
func retargeted(h *unstructured.Unstructured, name string) *unstructured.Unstructured {
	h = h.DeepCopy()
	_ = unstructured.SetNestedField(h.Object, name, "spec", "scaleTargetRef", "name")
	return h
}
