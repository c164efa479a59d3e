package diff

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// target is one rendered object with what the cluster says about its kind.
type target struct {
	obj *unstructured.Unstructured
	ref kube.ObjectRef
	gvr schema.GroupVersionResource
	// served is false for a kind only a CustomResourceDefinition of the
	// same render defines: its objects are created, never dry-run.
	served     bool
	namespaced bool
}

// crdInfo is what a rendered CustomResourceDefinition says about its kind.
type crdInfo struct {
	plural     string
	namespaced bool
}

// renderedCRDs indexes the kinds defined by CRDs in objs.
func renderedCRDs(objs []*unstructured.Unstructured) map[schema.GroupKind]crdInfo {
	out := map[schema.GroupKind]crdInfo{}
	for _, u := range objs {
		gk, info, ok := crdOf(u)
		if ok {
			out[gk] = info
		}
	}
	return out
}

// crdOf reads the kind a CustomResourceDefinition defines.
func crdOf(u *unstructured.Unstructured) (schema.GroupKind, crdInfo, bool) {
	gvk := u.GroupVersionKind()
	if gvk.Group != "apiextensions.k8s.io" || gvk.Kind != "CustomResourceDefinition" {
		return schema.GroupKind{}, crdInfo{}, false
	}
	group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
	plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
	scope, _, _ := unstructured.NestedString(u.Object, "spec", "scope")
	return schema.GroupKind{Group: group, Kind: kind}, crdInfo{plural: plural, namespaced: scope != "Cluster"}, true
}

// resolve maps every object to its resource, defaults and checks its
// namespace, and refuses duplicates. Bad input (exit 2) is reported before
// kinds the cluster lacks (exit 3); a failing discovery stops at once.
func (d *differ) resolve(ctx context.Context, objs []*unstructured.Unstructured) ([]*target, error) {
	crds := renderedCRDs(objs)
	seen := map[key]bool{}
	out := make([]*target, 0, len(objs))
	var bad, missing []error
	for i, u := range objs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t, err := d.target(i, u, crds)
		switch {
		case err == nil:
		case exitcode.Code(err) == exitcode.BadInput:
			bad = append(bad, err)
			continue
		case t != nil: // the kind is missing; keep checking the rest
			missing = append(missing, err)
			continue
		default:
			return nil, err
		}
		if seen[keyOf(t.ref)] {
			bad = append(bad, badInput(t.ref, "appears twice in the render"))
			continue
		}
		seen[keyOf(t.ref)] = true
		out = append(out, t)
	}
	if len(bad) > 0 {
		return nil, join(bad)
	}
	return out, join(missing)
}

// target resolves one object. For a kind the cluster does not serve it
// returns the target together with the error.
func (d *differ) target(i int, u *unstructured.Unstructured, crds map[schema.GroupKind]crdInfo) (*target, error) {
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, exitcode.With(exitcode.BadInput,
			fmt.Errorf("object %d of the render (name %q): apiVersion and kind are required", i+1, u.GetName()))
	}
	t := &target{obj: u, ref: kube.RefOf(u), served: true}
	if u.GetName() == "" {
		return nil, badInput(t.ref, "metadata.name is required")
	}
	mapping, err := d.c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	switch {
	case meta.IsNoMatchError(err):
		crd, ok := crds[gvk.GroupKind()]
		if !ok {
			return t, noKindError(t.ref, nil)
		}
		t.served, t.namespaced = false, crd.namespaced
		t.gvr = gvk.GroupVersion().WithResource(crd.plural)
	case err != nil:
		return nil, ObjectError(t.ref, schema.GroupVersionResource{}, "discover", err)
	default:
		t.gvr = mapping.Resource
		t.namespaced = mapping.Scope.Name() == meta.RESTScopeNameNamespace
	}
	if err := d.placeNamespace(t); err != nil {
		return nil, err
	}
	return t, nil
}

// setNamespace sets the namespace of a copy of t's object, so that the
// caller's object stays as it was (see Options.Prepared).
func (t *target) setNamespace(ns string) {
	if t.obj.GetNamespace() != ns {
		t.obj = t.obj.DeepCopy()
		t.obj.SetNamespace(ns)
	}
	t.ref.Namespace = ns
}

// placeNamespace defaults a namespaced object's namespace to the
// environment's and refuses one outside the allowed namespaces; a
// cluster-scoped object loses any namespace the render gave it.
func (d *differ) placeNamespace(t *target) error {
	if !t.namespaced {
		t.setNamespace("")
		return nil
	}
	if t.obj.GetNamespace() == "" {
		t.setNamespace(d.opts.Namespace)
	}
	ns := t.ref.Namespace
	switch {
	case ns == "":
		return badInput(t.ref, "no namespace: set metadata.namespace or the environment's namespace")
	case !d.opts.allowed(ns):
		return badInput(t.ref, "namespace %q is not the environment's namespace %q: add it to allowNamespaces in promote.yaml, or remove metadata.namespace",
			ns, d.opts.Namespace)
	}
	return nil
}
