package diff

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/klog/v2"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// ApplyOptions configure a Manager.
type ApplyOptions struct {
	// FieldManager owns every field applied.
	FieldManager string
	// Force takes over fields other managers own, instead of failing with
	// a *ConflictError.
	Force bool
	// DryRun has the server validate and answer without storing anything.
	DryRun bool
	// Concurrency bounds the objects ApplyAll sends at once (default
	// DefaultConcurrency).
	Concurrency int
	// Owner, when set, lets ApplyAll leave out objects whose managed
	// fields prove the apply a no-op (see ProvenUnchanged), reading them
	// with one label-selected list per kind and namespace.
	Owner Owner
	// Secrets are objects whose Secret values no error may quote, besides
	// the object the error is about: a webhook may echo any value.
	Secrets []*unstructured.Unstructured
}

// DefaultApplyOptions returns the options of an ordinary apply.
func DefaultApplyOptions() ApplyOptions {
	return ApplyOptions{FieldManager: kube.FieldManager, Concurrency: DefaultConcurrency}
}

// Manager is the tool's one server-side apply path, as Flux's
// ResourceManager: the diff's dry-run and pkg/rollout's apply, undo and
// prune send their requests through it. Every patch is built the same way
// (one field manager, strict field validation), and every error reads the
// same way: it starts with Kind/namespace/name, names the other field
// manager of a conflict and the permission of a denial, carries the exit
// code of pkg/exitcode and quotes no Secret value.
type Manager struct {
	c       *kube.Clients
	opts    ApplyOptions
	secrets []*unstructured.Unstructured
}

// NewManager returns a Manager sending requests with c.
func NewManager(c *kube.Clients, opts ApplyOptions) *Manager {
	m := &Manager{c: c, opts: opts}
	for _, u := range opts.Secrets {
		if IsSecret(u) {
			m.secrets = append(m.secrets, u)
		}
	}
	return m
}

// Resource is where the API serves one object.
type Resource struct {
	Ref        kube.ObjectRef
	GVR        schema.GroupVersionResource
	Namespaced bool
}

// Resource returns where the API serves u. A kind the cluster does not
// serve is a cluster error naming the object.
func (m *Manager) Resource(u *unstructured.Unstructured) (Resource, error) {
	return m.ResourceOf(kube.RefOf(u))
}

// ResourceOf returns where the API serves the object of ref; for a
// cluster-scoped kind the namespace is dropped from the reference.
// meta.IsNoMatchError tells a kind the cluster does not serve.
func (m *Manager) ResourceOf(ref kube.ObjectRef) (Resource, error) {
	mapping, err := m.c.Mapper.RESTMapping(ref.GroupKind(), ref.Version)
	if meta.IsNoMatchError(err) {
		return Resource{}, noKindError(ref, err)
	}
	if err != nil {
		return Resource{}, ObjectError(ref, schema.GroupVersionResource{}, "discover", err)
	}
	r := Resource{Ref: ref, GVR: mapping.Resource, Namespaced: mapping.Scope.Name() == meta.RESTScopeNameNamespace}
	if !r.Namespaced {
		r.Ref.Namespace = ""
	}
	return r, nil
}

func (m *Manager) client(r Resource) dynamic.ResourceInterface {
	if r.Namespaced {
		return m.c.Dynamic.Resource(r.GVR).Namespace(r.Ref.Namespace)
	}
	return m.c.Dynamic.Resource(r.GVR)
}

// Apply server-side applies u and returns what the server answered.
func (m *Manager) Apply(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	r, err := m.Resource(u)
	if err != nil {
		return nil, err
	}
	return m.Patch(ctx, r, u)
}

// Patch sends u to r as a server-side apply patch: the one request every
// dry-run and apply of the tool is. Unknown fields are errors
// (fieldValidation=Strict), as with kubectl: the server would otherwise
// drop them without a word.
func (m *Manager) Patch(ctx context.Context, r Resource, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	body, err := json.Marshal(u.Object)
	if err != nil {
		return nil, m.redact(u, exitcode.With(exitcode.BadInput, fmt.Errorf("%s: %w", r.Ref, err)))
	}
	if IsSecret(u) {
		ctx = NewRedactor(u).Context(ctx)
	}
	force := m.opts.Force
	opts := metav1.PatchOptions{FieldManager: m.opts.FieldManager, Force: &force, FieldValidation: metav1.FieldValidationStrict}
	req := applyRequest
	if m.opts.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
		req = requestFor("patch")
	}
	got, err := m.client(r).Patch(ctx, r.Ref.Name, types.ApplyPatchType, body, opts)
	if err != nil {
		return nil, m.redact(u, requestError(r.Ref, r.GVR, req, err))
	}
	return got, nil
}

// Get reads the live object of r; nil when it does not exist.
func (m *Manager) Get(ctx context.Context, r Resource) (*unstructured.Unstructured, error) {
	if r.GVR.Group == "" && r.GVR.Resource == "secrets" {
		ctx = (&Redactor{}).Context(ctx)
	}
	live, err := m.client(r).Get(ctx, r.Ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.redact(live, ObjectError(r.Ref, r.GVR, "get", err))
	}
	return live, nil
}

// Delete deletes the object of r, its dependents in the background; an
// object already gone is no error. live, when known, is the object as
// read: its Secret values are hidden from the error too.
func (m *Manager) Delete(ctx context.Context, r Resource, live *unstructured.Unstructured) error {
	policy := metav1.DeletePropagationBackground
	err := m.client(r).Delete(ctx, r.Ref.Name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if err == nil || apierrors.IsNotFound(err) {
		return nil
	}
	return m.redact(live, requestError(r.Ref, r.GVR, deleteRequest, err))
}

// redact hides from err the values of u, if a Secret, and of the
// Manager's Secrets. Requests that failed are few: the Redactor is built
// only for them.
func (m *Manager) redact(u *unstructured.Unstructured, err error) error {
	if err == nil {
		return nil
	}
	return NewRedactor(append([]*unstructured.Unstructured{u}, m.secrets...)...).Error(err)
}

// ApplyAll applies objs, at most Concurrency at a time, and returns the
// server's answer for each, in the order of objs. After an error it sends
// nothing more: the objects it did not send are nil, and the errors of
// those in flight are returned together, grouped by cause. A kind the
// cluster does not serve fails the whole set before anything is sent.
//
// objs must name distinct objects: two versions of one would race.
//
// With an Owner, an object whose live copy proves the apply a no-op (see
// ProvenUnchanged) is not sent and its live copy is returned.
func (m *Manager) ApplyAll(ctx context.Context, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	res := make([]Resource, len(objs))
	for i, u := range objs {
		r, err := m.Resource(u)
		if err != nil {
			return make([]*unstructured.Unstructured, len(objs)), err
		}
		res[i] = r
	}
	live, err := m.owned(ctx, res)
	out := make([]*unstructured.Unstructured, len(objs))
	if err != nil {
		return out, err
	}
	err = forEachUntilError(ctx, m.concurrency(), len(objs), func(ctx context.Context, i int) error {
		if l := live[keyOf(res[i].Ref)]; ProvenUnchanged(l, objs[i], m.opts.FieldManager) {
			out[i] = l
			return nil
		}
		var err error
		out[i], err = m.Patch(ctx, res[i], objs[i])
		return err
	})
	return out, err
}

func (m *Manager) concurrency() int {
	if m.opts.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return m.opts.Concurrency
}

// owned reads the live copies of the objects of res that carry the owner
// labels, one list per resource and namespace; nothing without an Owner.
// A list that fails only costs the saving: those objects are sent.
func (m *Manager) owned(ctx context.Context, res []Resource) (map[key]*unstructured.Unstructured, error) {
	if m.opts.Owner.IsZero() {
		return nil, nil
	}
	var scopes []Resource
	seen := map[scope]bool{}
	for _, r := range res {
		s := scope{r.GVR.GroupResource(), r.Ref.Namespace}
		if !seen[s] {
			seen[s] = true
			scopes = append(scopes, r)
		}
	}
	live := map[key]*unstructured.Unstructured{}
	var mu sync.Mutex
	err := forEach(ctx, m.concurrency(), len(scopes), func(ctx context.Context, i int) error {
		items, err := listPages(ctx, m.client(scopes[i]), scopes[i].Ref.GroupVersionKind(), m.opts.Owner.Selector())
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			klog.FromContext(ctx).V(2).Info("applying without the owned list", "resource", scopes[i].GVR.String(), "namespace", scopes[i].Ref.Namespace, "reason", apierrors.ReasonForError(err))
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		for _, u := range items {
			live[keyOf(kube.RefOf(u))] = u
		}
		return nil
	})
	return live, err
}

// DeleteAll deletes the objects of refs that still carry every label of
// owner (an object someone else took over is left alone; one whose kind
// is gone is gone too), at most Concurrency at a time, and returns those
// it deleted, in the order of refs. After an error it deletes nothing
// more.
func (m *Manager) DeleteAll(ctx context.Context, refs []kube.ObjectRef, owner map[string]string) ([]kube.ObjectRef, error) {
	deleted := make([]bool, len(refs))
	err := forEachUntilError(ctx, m.concurrency(), len(refs), func(ctx context.Context, i int) error {
		var err error
		deleted[i], err = m.deleteOwned(ctx, refs[i], owner)
		return err
	})
	var out []kube.ObjectRef
	for i, r := range refs {
		if deleted[i] {
			out = append(out, r)
		}
	}
	return out, err
}

// deleteOwned deletes the object of ref if it exists and carries owner's
// labels, and reports whether it did.
func (m *Manager) deleteOwned(ctx context.Context, ref kube.ObjectRef, owner map[string]string) (bool, error) {
	r, err := m.ResourceOf(ref)
	if meta.IsNoMatchError(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	live, err := m.Get(ctx, r)
	if err != nil || live == nil || !hasLabels(live, owner) {
		return false, err
	}
	if err := m.Delete(ctx, r, live); err != nil {
		return false, err
	}
	return true, nil
}

// hasLabels reports whether u carries every label of want.
func hasLabels(u *unstructured.Unstructured, want map[string]string) bool {
	have := u.GetLabels()
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
