package diff

import (
	"context"
	"slices"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
)

// The tool's own bookkeeping (release records, rollout state) carries the
// owner labels but is never rendered: pkg/release marks it with this label
// and gives its Secrets a type under recordTypePrefix. Kept here as
// literals so that pkg/release may import this package.
const (
	labelManagedBy   = "app.kubernetes.io/managed-by"
	managedByTool    = "kubectl-promote"
	recordTypePrefix = "promote.kubectl-plugin.dev/"
)

// commonKinds are listed for owned objects even when the render has none
// of them any more, so that removing the last Ingress still shows.
var commonKinds = []schema.GroupKind{
	{Kind: "ConfigMap"}, {Kind: "Secret"}, {Kind: "Service"}, {Kind: "ServiceAccount"},
	{Kind: "PersistentVolumeClaim"},
	{Group: "apps", Kind: "Deployment"}, {Group: "apps", Kind: "StatefulSet"}, {Group: "apps", Kind: "DaemonSet"},
	{Group: "batch", Kind: "Job"}, {Group: "batch", Kind: "CronJob"},
	{Group: "networking.k8s.io", Kind: "Ingress"}, {Group: "networking.k8s.io", Kind: "NetworkPolicy"},
	{Group: "policy", Kind: "PodDisruptionBudget"}, {Group: "autoscaling", Kind: "HorizontalPodAutoscaler"},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}, {Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
	{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"},
}

// deleted finds the owned objects the render no longer has: from the
// previous inventory when there is one, else by owner label.
func (d *differ) deleted(ctx context.Context, targets []*target) ([]Change, error) {
	if d.opts.Owner.IsZero() && d.opts.Previous == nil {
		return nil, nil
	}
	rendered := make(map[key]bool, len(targets))
	for _, t := range targets {
		rendered[t.ref.key()] = true
	}
	var live []*unstructured.Unstructured
	var err error
	if d.opts.Previous != nil {
		live, err = d.previous(ctx, rendered)
	} else {
		live, err = d.owned(ctx, targets)
	}
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, u := range live {
		ref := RefOf(u)
		if rendered[ref.key()] || !d.ownedBy(u) {
			continue
		}
		out = append(out, d.deletedChange(u))
	}
	return out, nil
}

// deletedChange reports u deleted, without noise, Secrets masked.
func (d *differ) deletedChange(u *unstructured.Unstructured) Change {
	if !d.opts.ShowSecrets {
		u, _ = MaskSecrets(u, nil)
	}
	return Change{Ref: RefOf(u), Action: Deleted, Live: Normalize(u)}
}

// ownedBy reports whether u carries the owner labels and is not one of
// the tool's own records.
func (d *differ) ownedBy(u *unstructured.Unstructured) bool {
	if u.GetLabels()[labelManagedBy] == managedByTool {
		return false
	}
	if IsSecret(u) {
		typ, _, _ := unstructured.NestedString(u.Object, "type")
		if strings.HasPrefix(typ, recordTypePrefix) {
			return false
		}
	}
	want := d.opts.Owner.Labels()
	return want == nil || labels.SelectorFromSet(want).Matches(labels.Set(u.GetLabels()))
}

// previous reads the objects of the previous inventory that still exist.
func (d *differ) previous(ctx context.Context, rendered map[key]bool) ([]*unstructured.Unstructured, error) {
	var refs []ObjectRef
	for _, r := range d.opts.Previous {
		if !rendered[r.key()] && !slices.ContainsFunc(refs, func(x ObjectRef) bool { return x.key() == r.key() }) {
			refs = append(refs, r)
		}
	}
	found := make([]*unstructured.Unstructured, len(refs))
	err := forEach(ctx, d.opts.concurrency(), len(refs), func(ctx context.Context, i int) error {
		var err error
		found[i], err = d.getPrevious(ctx, refs[i])
		return err
	})
	return slices.DeleteFunc(found, func(u *unstructured.Unstructured) bool { return u == nil }), err
}

// getPrevious reads one object; nil when it or its kind is gone.
func (d *differ) getPrevious(ctx context.Context, r ObjectRef) (*unstructured.Unstructured, error) {
	mapping, err := d.c.Mapper.RESTMapping(r.GroupKind(), r.Version)
	if meta.IsNoMatchError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, ObjectError(r, schema.GroupVersionResource{}, "get", err)
	}
	namespaced := mapping.Scope.Name() == meta.RESTScopeNameNamespace
	if mapping.Resource.Resource == "secrets" && mapping.Resource.Group == "" {
		ctx = (&Redactor{}).Context(ctx)
	}
	u, err := d.resource(mapping.Resource, r.Namespace, namespaced).Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, ObjectError(r, mapping.Resource, "get", err)
	}
	return u, nil
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

// owned lists the objects carrying the owner labels.
func (d *differ) owned(ctx context.Context, targets []*target) ([]*unstructured.Unstructured, error) {
	lists := d.listings(targets)
	var mu sync.Mutex
	var out []*unstructured.Unstructured
	err := forEach(ctx, d.opts.concurrency(), len(lists), func(ctx context.Context, i int) error {
		items, err := d.list(ctx, lists[i])
		mu.Lock()
		out = append(out, items...)
		mu.Unlock()
		return err
	})
	return out, err
}

// listings returns the lists to run: every kind of the render and the
// commonKinds, in every namespace the environment may use.
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
		if t.served {
			add(t.obj.GroupVersionKind(), t.gvr, t.namespaced, false)
		}
	}
	for _, gk := range commonKinds {
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

// list runs one listing, page by page.
func (d *differ) list(ctx context.Context, l listing) ([]*unstructured.Unstructured, error) {
	ref := ObjectRef{Group: l.gvk.Group, Version: l.gvk.Version, Kind: l.gvk.Kind, Namespace: l.namespace, Name: "*"}
	if l.gvr.Resource == "secrets" && l.gvr.Group == "" {
		ctx = (&Redactor{}).Context(ctx)
	}
	opts := metav1.ListOptions{LabelSelector: d.opts.Owner.Selector(), Limit: 500}
	var out []*unstructured.Unstructured
	for {
		page, err := d.resource(l.gvr, l.namespace, l.namespaced).List(ctx, opts)
		if err != nil {
			if l.optional && (apierrors.IsForbidden(err) || apierrors.IsNotFound(err)) {
				klog.FromContext(ctx).V(2).Info("skipping owned objects that cannot be listed", "resource", l.gvr.String(), "namespace", l.namespace, "reason", apierrors.ReasonForError(err))
				return nil, nil
			}
			return nil, ObjectError(ref, l.gvr, "list", err)
		}
		for i := range page.Items {
			u := &page.Items[i]
			u.SetGroupVersionKind(l.gvk)
			out = append(out, u)
		}
		if opts.Continue = page.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}
