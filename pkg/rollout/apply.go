package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// ApplyOptions tune a staged server-side apply.
type ApplyOptions struct {
	// FieldManager owns every field we write.
	FieldManager string
	// Force takes over fields owned by other managers (used by undo).
	Force bool
	// Labels are added to every object (owner labels).
	Labels map[string]string
	// CRDTimeout bounds the wait for applied CRDs to become Established.
	CRDTimeout time.Duration
	// Poll is the interval of the CRD wait.
	Poll time.Duration
}

// DefaultApplyOptions returns the options of an ordinary apply.
func DefaultApplyOptions() ApplyOptions {
	return ApplyOptions{FieldManager: kube.FieldManager, CRDTimeout: time.Minute, Poll: 200 * time.Millisecond}
}

// Apply server-side applies objs in stages: Namespaces and CRDs first (then
// waits for the CRDs to be Established, so the mapper can find their kinds),
// then everything else in the given order. It stops at the first error,
// which names the object.
func Apply(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, o ApplyOptions) ([]*unstructured.Unstructured, error) {
	first, rest := splitStages(objs)
	out := make([]*unstructured.Unstructured, 0, len(objs))
	applied, err := applyAll(ctx, c, first, o)
	out = append(out, applied...)
	if err != nil {
		return out, err
	}
	if err := waitCRDs(ctx, c, first, o); err != nil {
		return out, err
	}
	if hasCRD(first) {
		c.Mapper = resetMapper(c.Mapper)
	}
	applied, err = applyAll(ctx, c, rest, o)
	return append(out, applied...), err
}

func splitStages(objs []*unstructured.Unstructured) (first, rest []*unstructured.Unstructured) {
	for _, u := range objs {
		switch u.GroupVersionKind().GroupKind() {
		case schema.GroupKind{Kind: "Namespace"}, schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:
			first = append(first, u)
		default:
			rest = append(rest, u)
		}
	}
	return first, rest
}

func applyAll(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, o ApplyOptions) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, u := range objs {
		got, err := ApplyOne(ctx, c, u, o, false)
		if err != nil {
			return out, err
		}
		out = append(out, got)
	}
	return out, nil
}

// ApplyOne server-side applies a single object (or dry-runs it).
func ApplyOne(ctx context.Context, c *kube.Clients, u *unstructured.Unstructured, o ApplyOptions, dryRun bool) (*unstructured.Unstructured, error) {
	u = withLabels(u, o.Labels)
	ri, err := ResourceFor(c, u)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Ref(u), err)
	}
	opts := metav1.PatchOptions{FieldManager: o.FieldManager, Force: &o.Force}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	got, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Ref(u), err)
	}
	return got, nil
}

// ResourceFor returns the dynamic client of u's kind, namespaced when the
// kind is.
func ResourceFor(c *kube.Clients, u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := u.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: kind %s is not served by the cluster (is its CRD installed?): %w", Ref(u), gvk.Kind, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.Dynamic.Resource(m.Resource).Namespace(u.GetNamespace()), nil
	}
	return c.Dynamic.Resource(m.Resource), nil
}

// Ref names an object the way every error and line of output does:
// Kind/namespace/name, or Kind/name when cluster-scoped.
func Ref(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return u.GetKind() + "/" + ns + "/" + u.GetName()
	}
	return u.GetKind() + "/" + u.GetName()
}

func withLabels(u *unstructured.Unstructured, labels map[string]string) *unstructured.Unstructured {
	if len(labels) == 0 {
		return u
	}
	u = u.DeepCopy()
	l := u.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	for k, v := range labels {
		l[k] = v
	}
	u.SetLabels(l)
	return u
}

func hasCRD(objs []*unstructured.Unstructured) bool {
	for _, u := range objs {
		if u.GetKind() == "CustomResourceDefinition" {
			return true
		}
	}
	return false
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

func waitCRDs(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, o ApplyOptions) error {
	for _, u := range objs {
		if u.GetKind() != "CustomResourceDefinition" {
			continue
		}
		err := wait.PollUntilContextTimeout(ctx, o.Poll, o.CRDTimeout, true, func(ctx context.Context) (bool, error) {
			got, err := c.Dynamic.Resource(crdGVR).Get(ctx, u.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return conditionTrue(got, "Established"), nil
		})
		if err != nil {
			return fmt.Errorf("%s: not Established: %w", Ref(u), err)
		}
	}
	return nil
}

func conditionTrue(u *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == typ && m["status"] == "True" {
			return true
		}
	}
	return false
}

// resetMapper forgets cached discovery so kinds of new CRDs resolve.
func resetMapper(m meta.RESTMapper) meta.RESTMapper {
	if r, ok := m.(meta.ResettableRESTMapper); ok {
		r.Reset()
	}
	return m
}
