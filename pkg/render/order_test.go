package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestSort(t *testing.T) {
	objs := []*unstructured.Unstructured{
		obj("example.com/v1", "Widget", "b", "w"),
		obj("apps/v1", "Deployment", "b", "web"),
		obj("v1", "Service", "b", "web"),
		obj("apps/v1", "Deployment", "a", "web"),
		obj("gateway.networking.k8s.io/v1", "HTTPRoute", "a", "r"),
		obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.com"),
		obj("v1", "ConfigMap", "a", "z"),
		obj("v1", "ConfigMap", "a", "a"),
		obj("v1", "Namespace", "", "b"),
		obj("v1", "Namespace", "", "a"),
		obj("scheduling.k8s.io/v1", "PriorityClass", "", "high"),
		obj("other.example.com/v1", "Widget", "b", "w"),
	}
	Sort(objs)
	var got []string
	for _, o := range objs {
		got = append(got, o.GetAPIVersion()+" "+Ref(o))
	}
	want := []string{
		"v1 Namespace/a",
		"v1 Namespace/b",
		"apiextensions.k8s.io/v1 CustomResourceDefinition/widgets.example.com",
		"scheduling.k8s.io/v1 PriorityClass/high",
		"v1 ConfigMap/a/a",
		"v1 ConfigMap/a/z",
		"v1 Service/b/web",
		"apps/v1 Deployment/a/web",
		"apps/v1 Deployment/b/web",
		"gateway.networking.k8s.io/v1 HTTPRoute/a/r",
		"example.com/v1 Widget/b/w",
		"other.example.com/v1 Widget/b/w",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestApplyNamespace(t *testing.T) {
	crd := obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "gadgets.example.com")
	crd.Object["spec"] = map[string]interface{}{"group": "example.com", "scope": "Cluster", "names": map[string]interface{}{"kind": "Gadget"}}
	objs := []*unstructured.Unstructured{
		crd,
		obj("example.com/v1", "Gadget", "", "g"),
		obj("example.com/v1", "Widget", "", "w"),
		obj("v1", "Namespace", "", "extra"),
		obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "reader"),
		obj("rbac.authorization.k8s.io/v1", "Role", "", "reader"),
		obj("v1", "ConfigMap", "other", "kept"),
		obj("v1", "ConfigMap", "", "set"),
		obj("gateway.networking.k8s.io/v1", "GatewayClass", "", "gc"),
	}
	applyNamespace(objs, "shop")
	var got []string
	for _, o := range objs {
		got = append(got, Ref(o))
	}
	want := []string{
		"CustomResourceDefinition/gadgets.example.com",
		"Gadget/g",
		"Widget/shop/w",
		"Namespace/extra",
		"ClusterRole/reader",
		"Role/shop/reader",
		"ConfigMap/other/kept",
		"ConfigMap/shop/set",
		"GatewayClass/gc",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
}

func obj(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]interface{}{}}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}
