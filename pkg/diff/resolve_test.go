package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// staticMapper knows a few built-in kinds, as discovery would.
func staticMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, meta.RESTScopeRoot)
	m.Add(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}, meta.RESTScopeRoot)
	return m
}

func TestResolve(t *testing.T) {
	crd := `{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, metadata: {name: widgets.example.com},
	  spec: {group: example.com, scope: Namespaced, names: {kind: Widget, plural: widgets}}}`
	type got struct {
		Refs   []string
		Served []bool
		Code   int
		Err    string
	}
	tests := []struct {
		name string
		objs []string
		want got
	}{
		{
			name: "namespaced objects default to the environment, cluster-scoped lose theirs",
			objs: []string{`{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}`, `{apiVersion: v1, kind: Namespace, metadata: {name: shop, namespace: x}}`},
			want: got{Refs: []string{"ConfigMap/shop/a", "Namespace/shop"}, Served: []bool{true, true}},
		},
		{
			name: "an allowed namespace is accepted",
			objs: []string{`{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: shared}}`},
			want: got{Refs: []string{"ConfigMap/shared/a"}, Served: []bool{true}},
		},
		{
			name: "another namespace is bad input",
			objs: []string{`{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: kube-system}}`},
			want: got{Code: exitcode.BadInput, Err: `ConfigMap/kube-system/a: namespace "kube-system" is not the environment's namespace "shop": add it to allowNamespaces in promote.yaml, or remove metadata.namespace`},
		},
		{
			name: "a duplicate is bad input",
			objs: []string{`{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}`, `{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: shop}}`},
			want: got{Code: exitcode.BadInput, Err: `ConfigMap/shop/a: appears twice in the render`},
		},
		{
			name: "a kind without its CRD is a cluster error naming the object",
			objs: []string{`{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}`},
			want: got{Code: exitcode.Cluster, Err: `Widget/w: the cluster serves no kind "Widget" in "example.com/v1": install its CustomResourceDefinition first or add it to the render, or use an apiVersion the cluster serves`},
		},
		{
			name: "a kind whose CRD is in the render is created as rendered",
			objs: []string{crd, `{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}`},
			want: got{Refs: []string{"CustomResourceDefinition/widgets.example.com", "Widget/shop/w"}, Served: []bool{true, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []*unstructured.Unstructured
			for _, y := range tt.objs {
				objs = append(objs, obj(t, y))
			}
			opts := DefaultOptions()
			opts.Namespace, opts.AllowedNamespaces = "shop", []string{"shared"}
			d := &differ{c: &kube.Clients{Mapper: staticMapper()}, opts: opts}
			targets, err := d.resolve(t.Context(), objs)
			var g got
			for _, tg := range targets {
				g.Refs = append(g.Refs, tg.ref.String())
				g.Served = append(g.Served, tg.served)
			}
			if err != nil {
				g.Code, g.Err = exitcode.Code(err), err.Error()
			}
			if d := cmp.Diff(tt.want, g); d != "" {
				t.Errorf("resolve() (-want +got):\n%s", d)
			}
		})
	}
}
