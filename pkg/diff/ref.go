package diff

import (
	"cmp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ObjectRef names one object of the cluster.
type ObjectRef struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// RefOf returns the reference of u.
func RefOf(u *unstructured.Unstructured) ObjectRef {
	gvk := u.GroupVersionKind()
	return ObjectRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}

// String returns "Kind/namespace/name", or "Kind/name" for a cluster-scoped
// object, the form every error and header starts with.
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// GroupKind returns the group and kind of r.
func (r ObjectRef) GroupKind() schema.GroupKind {
	return schema.GroupKind{Group: r.Group, Kind: r.Kind}
}

// key identifies an object across API versions.
type key struct {
	Group, Kind, Namespace, Name string
}

func (r ObjectRef) key() key { return key{r.Group, r.Kind, r.Namespace, r.Name} }

// kindOrder puts the kinds others depend on first, so that output reads in
// the order apply will write.
var kindOrder = func() map[string]int {
	first := []string{
		"CustomResourceDefinition", "Namespace", "ResourceQuota", "LimitRange", "PriorityClass",
		"StorageClass", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
		"ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment", "StatefulSet",
		"DaemonSet", "Job", "CronJob", "HorizontalPodAutoscaler", "PodDisruptionBudget",
		"Ingress", "HTTPRoute",
	}
	m := make(map[string]int, len(first))
	for i, k := range first {
		m[k] = i - len(first)
	}
	return m
}()

// compareRefs orders references by kind order, group, kind, namespace and
// name, so output does not depend on the order of the render or of the
// concurrent requests.
func compareRefs(a, b ObjectRef) int {
	return cmp.Or(
		cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]),
		strings.Compare(a.Group, b.Group),
		strings.Compare(a.Kind, b.Kind),
		strings.Compare(a.Namespace, b.Namespace),
		strings.Compare(a.Name, b.Name),
	)
}
