package render

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// clusterScoped lists the built-in cluster-scoped kinds. Rendering needs no
// cluster, so there is no RESTMapper to ask; custom resources are covered by
// the CRDs of the same render (see scopes).
var clusterScoped = map[schema.GroupKind]bool{}

func init() {
	for group, kinds := range map[string][]string{
		"":                             {"Namespace", "Node", "PersistentVolume", "ComponentStatus"},
		"admissionregistration.k8s.io": {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"},
		"apiextensions.k8s.io":         {"CustomResourceDefinition"},
		"apiregistration.k8s.io":       {"APIService"},
		"certificates.k8s.io":          {"CertificateSigningRequest", "ClusterTrustBundle"},
		"flowcontrol.apiserver.k8s.io": {"FlowSchema", "PriorityLevelConfiguration"},
		"gateway.networking.k8s.io":    {"GatewayClass"},
		"networking.k8s.io":            {"IngressClass", "IPAddress", "ServiceCIDR"},
		"node.k8s.io":                  {"RuntimeClass"},
		"policy":                       {"PodSecurityPolicy"},
		"rbac.authorization.k8s.io":    {"ClusterRole", "ClusterRoleBinding"},
		"resource.k8s.io":              {"DeviceClass"},
		"scheduling.k8s.io":            {"PriorityClass"},
		"storage.k8s.io":               {"StorageClass", "CSIDriver", "CSINode", "VolumeAttachment"},
		"storagemigration.k8s.io":      {"StorageVersionMigration"},
	} {
		for _, k := range kinds {
			clusterScoped[schema.GroupKind{Group: group, Kind: k}] = true
		}
	}
}

// scopes says whether a kind is cluster-scoped: built in, or declared so by
// a CustomResourceDefinition among objs.
type scopes map[schema.GroupKind]bool

func scopesOf(objs []*unstructured.Unstructured) scopes {
	s := scopes{}
	for gk := range clusterScoped {
		s[gk] = true
	}
	for _, o := range objs {
		if o.GroupVersionKind().GroupKind() != crdKind {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(o.Object, "spec", "scope")
		if kind != "" {
			s[schema.GroupKind{Group: group, Kind: kind}] = scope == "Cluster"
		}
	}
	return s
}

var crdKind = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

// applyNamespace sets ns on every namespaced object that has none, as
// `kubectl apply -n ns` would.
func applyNamespace(objs []*unstructured.Unstructured, ns string) {
	if ns == "" {
		return
	}
	s := scopesOf(objs)
	for _, o := range objs {
		if o.GetNamespace() == "" && !s[o.GroupVersionKind().GroupKind()] {
			o.SetNamespace(ns)
		}
	}
}
