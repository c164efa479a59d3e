package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestNamespaceOf(t *testing.T) {
	obj := func(apiVersion, kind, ns, name string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetNamespace(ns)
		u.SetName(name)
		return u
	}
	type got struct{ NS, From string }
	tests := []struct {
		name string
		objs []*unstructured.Unstructured
		want got
	}{
		{
			name: "a Namespace object wins",
			objs: []*unstructured.Unstructured{obj("v1", "Namespace", "", "dev"), obj("apps/v1", "Deployment", "dev", "web")},
			want: got{"dev", NamespaceFromObject},
		},
		{
			name: "the namespace all namespaced objects carry",
			objs: []*unstructured.Unstructured{obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "r"), obj("apps/v1", "Deployment", "shop", "web"), obj("v1", "Service", "shop", "web")},
			want: got{"shop", NamespaceFromObjects},
		},
		{
			name: "none set",
			objs: []*unstructured.Unstructured{obj("apps/v1", "Deployment", "", "web")},
			want: got{"", NamespaceFromInvented + ": the overlay sets none"},
		},
		{
			name: "several namespaces",
			objs: []*unstructured.Unstructured{obj("apps/v1", "Deployment", "b", "web"), obj("v1", "Service", "a", "web")},
			want: got{"", NamespaceFromInvented + ": the overlay's objects are in several namespaces (a, b)"},
		},
		{
			name: "several Namespace objects",
			objs: []*unstructured.Unstructured{obj("v1", "Namespace", "", "b"), obj("v1", "Namespace", "", "a")},
			want: got{"", NamespaceFromInvented + ": the overlay holds several Namespace objects (a, b)"},
		},
		{
			name: "a custom kind called Namespace is not one",
			objs: []*unstructured.Unstructured{obj("example.com/v1", "Namespace", "", "x"), obj("apps/v1", "Deployment", "dev", "web")},
			want: got{"dev", NamespaceFromObjects},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, from := NamespaceOf(tt.objs)
			if diff := cmp.Diff(tt.want, got{ns, from}); diff != "" {
				t.Errorf("NamespaceOf() (-want +got):\n%s", diff)
			}
		})
	}
}
