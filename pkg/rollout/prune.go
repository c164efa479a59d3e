package rollout

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Inventory returns the references of objs, as a release records them.
func Inventory(objs []*unstructured.Unstructured) []kube.ObjectRef {
	refs := make([]kube.ObjectRef, 0, len(objs))
	for _, u := range objs {
		refs = append(refs, kube.RefOf(u))
	}
	return refs
}

// Missing returns the refs of old that are not in keep (the same object,
// whatever its API version).
func Missing(old, keep []kube.ObjectRef) []kube.ObjectRef {
	var out []kube.ObjectRef
	for _, r := range old {
		if !slices.ContainsFunc(keep, r.SameObject) {
			out = append(out, r)
		}
	}
	return out
}

// Prune deletes the objects of refs that still carry the owner labels
// (an object someone else took over is left alone), in the reverse order
// of the apply stages (custom resources before their CRDs), the objects
// of one stage a few at a time. Namespaces are never pruned: deleting one
// would take unrelated objects with it. It stops after the first error
// and returns what it deleted.
func Prune(ctx context.Context, c *kube.Clients, refs []kube.ObjectRef, owner map[string]string) ([]kube.ObjectRef, error) {
	var by [stageCount][]kube.ObjectRef
	for i := len(refs) - 1; i >= 0; i-- {
		if r := refs[i]; r.GroupKind() != gkNamespace {
			by[stageOf(r.GroupKind())] = append(by[stageOf(r.GroupKind())], r)
		}
	}
	m := diff.NewManager(c, diff.DefaultApplyOptions())
	var deleted []kube.ObjectRef
	for s := stageCount - 1; s >= 0; s-- {
		done, err := m.DeleteAll(ctx, by[s], owner)
		deleted = append(deleted, done...)
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}
