package diff

import (
	"context"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
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
// previous inventory when there is one, else from the owner-labelled
// lists listOwned made (namespaced objects only). Objects already being
// deleted are not reported.
func (d *differ) deleted(ctx context.Context, targets []*target) ([]Change, error) {
	if d.opts.Owner.IsZero() && d.opts.Previous == nil {
		return nil, nil
	}
	rendered := make(map[key]bool, len(targets))
	for _, t := range targets {
		rendered[keyOf(t.ref)] = true
	}
	live := d.owned
	if d.opts.Previous != nil {
		var err error
		if live, err = d.previous(ctx, rendered); err != nil {
			return nil, err
		}
	}
	var out []Change
	for _, u := range live {
		ref := kube.RefOf(u)
		if rendered[keyOf(ref)] || !d.ownedBy(u) || u.GetDeletionTimestamp() != nil {
			continue
		}
		// Without an inventory only the owner labels say whose an object
		// is: inside the environment's namespaces that is enough, but a
		// cluster-scoped object with the same labels may be another
		// checkout's pipeline of the same name.
		if d.opts.Previous == nil && u.GetNamespace() == "" {
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
	return Change{Ref: kube.RefOf(u), Action: Deleted, Live: Normalize(u)}
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
	var refs []kube.ObjectRef
	for _, r := range d.opts.Previous {
		if !rendered[keyOf(r)] && !slices.ContainsFunc(refs, func(x kube.ObjectRef) bool { return keyOf(x) == keyOf(r) }) {
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

// getPrevious reads one object; nil when it or its kind is gone. An
// object in a scope listOwned listed is taken from that list: absent
// there, it is gone or not owned, and deleted only reports owned objects.
func (d *differ) getPrevious(ctx context.Context, r kube.ObjectRef) (*unstructured.Unstructured, error) {
	mapping, err := d.c.Mapper.RESTMapping(r.GroupKind(), r.Version)
	if meta.IsNoMatchError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, ObjectError(r, schema.GroupVersionResource{}, "get", err)
	}
	namespaced := mapping.Scope.Name() == meta.RESTScopeNameNamespace
	if !namespaced {
		r.Namespace = ""
	}
	if d.listed[scope{mapping.Resource.GroupResource(), r.Namespace}] {
		return d.live[keyOf(r)], nil
	}
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
