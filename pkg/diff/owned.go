package diff

import (
	"context"
	"slices"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/klog/v2"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// scope is one resource in one namespace ("" for cluster-scoped ones).
type scope struct {
	resource  schema.GroupResource
	namespace string
}

// listOwned lists, with the owner label selector, every rendered resource
// in every namespace the environment uses (plus commonKinds when
// deletions are found by label). One list answers for all the objects
// the tool applied before, so those need no GET of their own: the live
// object of a rendered object is in d.live when it is owned, and any
// object missing from a listed scope is new or not yet owned. Does
// nothing without an Owner.
func (d *differ) listOwned(ctx context.Context, targets []*target) error {
	if d.opts.Owner.IsZero() {
		return nil
	}
	lists := d.listings(targets)
	var mu sync.Mutex
	d.live, d.listed = map[key]*unstructured.Unstructured{}, map[scope]bool{}
	return forEach(ctx, d.opts.concurrency(), len(lists), func(ctx context.Context, i int) error {
		l := lists[i]
		items, err := d.list(ctx, l)
		if err != nil || items == nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		d.listed[scope{l.gvr.GroupResource(), l.namespace}] = true
		for _, u := range items {
			d.live[keyOf(kube.RefOf(u))] = u
			if d.ownedBy(u) {
				d.owned = append(d.owned, u)
			}
		}
		return nil
	})
}

// listing is one label-selected list: a resource in a namespace ("" for
// cluster-scoped resources). Optional listings are the commonKinds the
// render lacks; their denial only means nothing can be found there.
type listing struct {
	gvk        schema.GroupVersionKind
	gvr        schema.GroupVersionResource
	namespace  string
	namespaced bool
	optional   bool
}

// listings returns the lists to run: every kind of the render, and the
// commonKinds unless a previous inventory says what to delete, in every
// namespace the environment may use that exists.
func (d *differ) listings(targets []*target) []listing {
	namespaces := d.namespaces(targets)
	var out []listing
	seen := map[schema.GroupVersionResource]bool{}
	add := func(gvk schema.GroupVersionKind, gvr schema.GroupVersionResource, namespaced, optional bool) {
		if seen[gvr] {
			return
		}
		seen[gvr] = true
		if !namespaced {
			out = append(out, listing{gvk: gvk, gvr: gvr, optional: optional})
			return
		}
		for _, ns := range namespaces {
			out = append(out, listing{gvk: gvk, gvr: gvr, namespace: ns, namespaced: true, optional: optional})
		}
	}
	for _, t := range targets {
		if t.served && !d.newKinds[t.ref.GroupKind()] {
			add(t.obj.GroupVersionKind(), t.gvr, t.namespaced, false)
		}
	}
	for _, gk := range commonKinds {
		if d.opts.Previous != nil {
			break
		}
		m, err := d.c.Mapper.RESTMapping(gk)
		if err == nil && m.Scope.Name() == meta.RESTScopeNameNamespace {
			add(m.GroupVersionKind, m.Resource, true, true)
		}
	}
	return out
}

// namespaces are the environment's namespaces and those of the render,
// less those the render creates.
func (d *differ) namespaces(targets []*target) []string {
	var out []string
	all := append([]string{d.opts.Namespace}, d.opts.AllowedNamespaces...)
	for _, t := range targets {
		all = append(all, t.ref.Namespace)
	}
	for _, ns := range all {
		if ns != "" && !d.newNamespaces[ns] && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}

// list runs one listing, page by page; nil when an optional listing is
// denied.
func (d *differ) list(ctx context.Context, l listing) ([]*unstructured.Unstructured, error) {
	ref := kube.ObjectRef{Group: l.gvk.Group, Version: l.gvk.Version, Kind: l.gvk.Kind, Namespace: l.namespace, Name: "*"}
	out, err := listPages(ctx, d.resource(l.gvr, l.namespace, l.namespaced), l.gvk, d.opts.Owner.Selector())
	if err != nil {
		if l.optional && (apierrors.IsForbidden(err) || apierrors.IsNotFound(err)) {
			klog.FromContext(ctx).V(2).Info("skipping owned objects that cannot be listed", "resource", l.gvr.String(), "namespace", l.namespace, "reason", apierrors.ReasonForError(err))
			return nil, nil
		}
		return nil, ObjectError(ref, l.gvr, "list", err)
	}
	return out, nil
}

// listPages lists the objects of kind gvk that selector matches, 500 a
// page; an empty list is an empty slice, not nil. Bodies of Secret lists
// are never logged.
func listPages(ctx context.Context, res dynamic.ResourceInterface, gvk schema.GroupVersionKind, selector string) ([]*unstructured.Unstructured, error) {
	if gvk.Group == "" && gvk.Kind == "Secret" {
		ctx = (&Redactor{}).Context(ctx)
	}
	opts := metav1.ListOptions{LabelSelector: selector, Limit: 500}
	out := []*unstructured.Unstructured{}
	for {
		page, err := res.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range page.Items {
			u := &page.Items[i]
			u.SetGroupVersionKind(gvk)
			out = append(out, u)
		}
		if opts.Continue = page.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}
