package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestObjectRef(t *testing.T) {
	web := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "shop"},
	}}
	tests := []struct {
		name string
		ref  ObjectRef
		want string
	}{
		{"namespaced", RefOf(web), "Deployment/shop/web"},
		{"cluster-scoped", ObjectRef{Version: "v1", Kind: "Namespace", Name: "shop"}, "Namespace/shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ref.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
	want := ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	if diff := cmp.Diff(want, RefOf(web)); diff != "" {
		t.Errorf("RefOf() (-want +got):\n%s", diff)
	}
}

func TestSameObject(t *testing.T) {
	a := ObjectRef{Group: "autoscaling", Version: "v1", Kind: "HorizontalPodAutoscaler", Namespace: "shop", Name: "web"}
	b := a
	b.Version = "v2"
	c := a
	c.Namespace = "other"
	if !a.SameObject(b) {
		t.Error("the same object in two versions is not the same object")
	}
	if a.SameObject(c) {
		t.Error("objects in two namespaces are the same object")
	}
}
