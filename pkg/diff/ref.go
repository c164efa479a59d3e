package diff

import (
	"cmp"
	"strings"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// key identifies an object across API versions.
type key struct {
	Group, Kind, Namespace, Name string
}

// keyOf returns the key of r.
func keyOf(r kube.ObjectRef) key { return key{r.Group, r.Kind, r.Namespace, r.Name} }

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
func compareRefs(a, b kube.ObjectRef) int {
	return cmp.Or(
		cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]),
		strings.Compare(a.Group, b.Group),
		strings.Compare(a.Kind, b.Kind),
		strings.Compare(a.Namespace, b.Namespace),
		strings.Compare(a.Name, b.Name),
	)
}
