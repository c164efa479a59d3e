package rollout

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Inventory returns the references of objs, as a release records them.
func Inventory(objs []*unstructured.Unstructured) []release.ObjectRef {
	refs := make([]release.ObjectRef, 0, len(objs))
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		refs = append(refs, release.ObjectRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()})
	}
	return refs
}

// Missing returns the refs of old that are not in keep (same group, kind,
// namespace and name; the version may differ).
func Missing(old, keep []release.ObjectRef) []release.ObjectRef {
	have := make(map[release.ObjectRef]bool, len(keep))
	for _, r := range keep {
		r.Version = ""
		have[r] = true
	}
	var out []release.ObjectRef
	for _, r := range old {
		k := r
		k.Version = ""
		if !have[k] {
			out = append(out, r)
		}
	}
	return out
}

// Prune deletes the objects of refs that still carry the owner labels
// (an object someone else took over is left alone). Namespaces are never
// pruned: deleting one would take unrelated objects with it. It returns
// what it deleted.
func Prune(ctx context.Context, c *kube.Clients, refs []release.ObjectRef, owner map[string]string) ([]release.ObjectRef, error) {
	var deleted []release.ObjectRef
	for i := len(refs) - 1; i >= 0; i-- {
		r := refs[i]
		if r.Kind == "Namespace" {
			continue
		}
		ok, err := pruneOne(ctx, c, r, owner)
		if err != nil {
			return deleted, err
		}
		if ok {
			deleted = append(deleted, r)
		}
	}
	return deleted, nil
}

func pruneOne(ctx context.Context, c *kube.Clients, r release.ObjectRef, owner map[string]string) (bool, error) {
	m, err := c.Mapper.RESTMapping(schema.GroupKind{Group: r.Group, Kind: r.Kind}, r.Version)
	if meta.IsNoMatchError(err) {
		return false, nil // the kind is gone, so is the object
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", r, err)
	}
	ri := c.Dynamic.Resource(m.Resource).Namespace(r.Namespace)
	live, err := ri.Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", r, err)
	}
	if !labelsMatch(live.GetLabels(), owner) {
		return false, nil
	}
	policy := metav1.DeletePropagationBackground
	err = ri.Delete(ctx, r.Name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("%s: delete: %w", r, err)
	}
	return true, nil
}

func labelsMatch(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
