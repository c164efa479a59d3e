package diff

import (
	"context"
	"errors"
	"sync"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Diff shows what applying objs would change in the cluster of c: for each
// object at most one read of the live object and one server-side apply
// dry-run, at most opts.Concurrency objects at a time, then the owned
// objects the render no longer has (see Options.Owner and
// Options.Previous). With an Owner, objects applied before are read by
// one label-selected list per kind and namespace instead of one GET each,
// and those whose managed fields prove that the apply is a no-op are not
// sent at all (see ProvenUnchanged; Options.AlwaysDryRun sends them).
//
// Namespaces and CustomResourceDefinitions go first: objects in a
// namespace, or of a kind, that the same render creates cannot be dry-run
// and are reported created as rendered. Errors name their objects and
// carry the exit code of pkg/exitcode: 2 for bad input, found before any
// request, 3 for cluster errors. On error the ChangeSet is nil.
func Diff(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, opts Options) (*ChangeSet, error) {
	if err := opts.validate(); err != nil {
		return nil, exitcode.With(exitcode.BadInput, err)
	}
	prepared := objs
	if !opts.Prepared {
		var err error
		if prepared, err = Prepare(objs, opts.Owner); err != nil {
			return nil, exitcode.With(exitcode.BadInput, err)
		}
	}
	d := &differ{c: c, opts: opts, newNamespaces: map[string]bool{}, newKinds: map[schema.GroupKind]bool{},
		m:      NewManager(c, ApplyOptions{FieldManager: opts.FieldManager, Force: opts.Force, DryRun: true}),
		forced: NewManager(c, ApplyOptions{FieldManager: opts.FieldManager, Force: true, DryRun: true})}
	targets, err := d.resolve(ctx, prepared)
	if err != nil {
		return nil, err
	}
	changes, err := d.diffAll(ctx, targets)
	if err != nil {
		return nil, err
	}
	deleted, err := d.deleted(ctx, targets)
	if err != nil {
		return nil, err
	}
	cs := &ChangeSet{Changes: append(changes, deleted...)}
	cs.sort()
	return cs, nil
}

// differ holds the state of one Diff.
type differ struct {
	c    *kube.Clients
	opts Options
	// m sends the dry-runs and reads; forced the dry-runs that take over
	// other managers' fields (Options.Drift).
	m, forced *Manager
	// newNamespaces and newKinds are what the first phase found the render
	// creates; the second phase only reads them.
	newNamespaces map[string]bool
	newKinds      map[schema.GroupKind]bool
	// missingNS remembers namespaces found missing, to stop sending
	// requests that must fail the same way.
	missingNS sync.Map
	// live holds the objects of the owner-labelled lists by key, listed
	// the scopes they cover and owned those carrying the owner labels
	// (see listOwned). Written before the second phase, then only read.
	live   map[key]*unstructured.Unstructured
	listed map[scope]bool
	owned  []*unstructured.Unstructured
}

// foundation reports whether other objects may depend on t existing.
func foundation(t *target) bool {
	return t.ref.Kind == "Namespace" && t.ref.Group == "" ||
		t.ref.Kind == "CustomResourceDefinition" && t.ref.Group == "apiextensions.k8s.io"
}

// diffAll diffs Namespaces and CRDs first, then everything else.
func (d *differ) diffAll(ctx context.Context, targets []*target) ([]Change, error) {
	var first, rest []*target
	for _, t := range targets {
		if foundation(t) {
			first = append(first, t)
		} else {
			rest = append(rest, t)
		}
	}
	changes, err := d.run(ctx, first)
	if err != nil {
		return nil, err
	}
	d.noteCreated(first, changes)
	if err := d.listOwned(ctx, targets); err != nil {
		return nil, err
	}
	more, err := d.run(ctx, rest)
	if err != nil {
		return nil, err
	}
	return append(changes, more...), nil
}

// noteCreated records the namespaces and kinds the render creates.
func (d *differ) noteCreated(targets []*target, changes []Change) {
	for i, c := range changes {
		if c.Action != Created {
			continue
		}
		if gk, _, ok := crdOf(targets[i].obj); ok {
			d.newKinds[gk] = true
		} else {
			d.newNamespaces[c.Ref.Name] = true
		}
	}
}

func (d *differ) run(ctx context.Context, targets []*target) ([]Change, error) {
	changes := make([]Change, len(targets))
	err := forEach(ctx, d.opts.concurrency(), len(targets), func(ctx context.Context, i int) error {
		var err error
		changes[i], err = d.one(ctx, targets[i])
		return err
	})
	return changes, err
}

// createdAsRendered reports whether t lives in a namespace, or is of a
// kind, that the render creates: the server cannot dry-run it yet.
func (d *differ) createdAsRendered(t *target) bool {
	return !t.served || d.newKinds[t.ref.GroupKind()] || t.namespaced && d.newNamespaces[t.ref.Namespace]
}

// maxAttempts bounds how often one object is read again because it
// changed between the GET and the dry-run.
const maxAttempts = 3

// one diffs one object: a GET of the live object and a dry-run apply.
// When the object differs and changed between the two requests (a
// controller wrote it: the dry-run's resourceVersion is not the one read),
// the pair is sent again, so a change made by someone else is not
// reported as one apply would make.
func (d *differ) one(ctx context.Context, t *target) (Change, error) {
	if d.createdAsRendered(t) {
		return d.change(t, nil, t.obj), nil
	}
	if _, missing := d.missingNS.Load(t.ref.Namespace); missing && t.namespaced {
		return Change{}, exitcode.With(exitcode.Cluster, &NamespaceError{Ref: t.ref, Namespace: t.ref.Namespace})
	}
	for attempt := 1; ; attempt++ {
		live, dry, err := d.fetch(ctx, t, attempt > 1)
		var conflict *ConflictError
		if errors.As(err, &conflict) {
			live, dry, conflict, err = d.drifted(ctx, t, conflict)
		}
		if err != nil {
			return Change{}, err
		}
		if TakesOver(live, d.opts.FieldManager) {
			if dry, err = d.takenOver(ctx, t, live, dry); errors.Is(err, errRaced) && attempt < maxAttempts {
				continue
			} else if err != nil {
				return Change{}, err
			}
		}
		c := d.change(t, live, dry)
		if conflict != nil {
			c.Conflicts = conflict.Conflicts
		}
		if c.Action == Unchanged || !raced(live, dry) || attempt == maxAttempts {
			return c, nil
		}
	}
}

// raced reports whether the dry-run was made on another version of the
// object than the one read.
func raced(live, dry *unstructured.Unstructured) bool {
	if live == nil {
		return dry.GetResourceVersion() != ""
	}
	return live.GetResourceVersion() != dry.GetResourceVersion()
}

// fetch reads the live object (nil when absent) and dry-runs the apply.
// An owned object comes from the owner-labelled list unless fresh is set;
// the dry-run is skipped when the live object's managed fields prove the
// apply changes nothing (see ProvenUnchanged). An object missing from a
// scope that was listed is most likely new: it is dry-run first and read
// only when the dry-run shows it exists, which saves a request for each
// new object (not for Secrets: a rejection could then echo a live value
// the Redactor does not know yet). Requests about Secrets log no bodies,
// and their errors no values.
func (d *differ) fetch(ctx context.Context, t *target, fresh bool) (live, dry *unstructured.Unstructured, err error) {
	var red *Redactor
	if IsSecret(t.obj) {
		red = NewRedactor(t.obj)
		ctx = red.Context(ctx)
	}
	res := Resource{Ref: t.ref, GVR: t.gvr, Namespaced: t.namespaced}
	live, found := d.live[keyOf(t.ref)]
	lazy := !found && !fresh && red == nil && d.listed[scope{t.gvr.GroupResource(), t.ref.Namespace}]
	if !lazy && (!found || fresh || live.GetAPIVersion() != t.obj.GetAPIVersion()) {
		if live, err = d.m.Get(ctx, res); err != nil {
			return nil, nil, red.Error(err)
		}
	}
	if !d.opts.AlwaysDryRun && ProvenUnchanged(live, t.obj, d.opts.FieldManager) {
		return live, live, nil
	}
	if IsSecret(live) {
		red = NewRedactor(t.obj, live)
	}
	if dry, err = d.m.Patch(ctx, res, t.obj); err != nil {
		var nsErr *NamespaceError
		if errors.As(err, &nsErr) {
			d.missingNS.Store(nsErr.Namespace, true)
		}
		return nil, nil, red.Error(err)
	}
	if lazy && dry.GetResourceVersion() != "" {
		if live, err = d.m.Get(ctx, res); err != nil {
			return nil, nil, red.Error(err)
		}
	}
	return live, dry, nil
}

// drifted diffs t after its dry-run conflicted with other field managers.
// Conflicts with Helm's managers on an object the apply takes over from
// Helm are none: that apply owns their fields first (see TakesOver). Any
// other conflict is the answer, unless Options.Drift asks to dry-run as
// apply --force-conflicts would, the conflicts kept to show. It reads the
// live object again: the conflict may have come before any read.
func (d *differ) drifted(ctx context.Context, t *target, conflict *ConflictError) (live, dry *unstructured.Unstructured, rest *ConflictError, err error) {
	red := NewRedactor(t.obj)
	if IsSecret(t.obj) {
		ctx = red.Context(ctx)
	}
	res := Resource{Ref: t.ref, GVR: t.gvr, Namespaced: t.namespaced}
	if live, err = d.m.Get(ctx, res); err != nil {
		return nil, nil, nil, red.Error(err)
	}
	rest = conflict
	if TakesOver(live, d.opts.FieldManager) {
		rest = conflict.without(HelmManagers(live))
	}
	if rest != nil && !d.opts.Drift {
		return nil, nil, nil, rest
	}
	if IsSecret(live) {
		red = NewRedactor(t.obj, live)
	}
	if dry, err = d.forced.Patch(ctx, res, t.obj); err != nil {
		return nil, nil, nil, red.Error(err)
	}
	return live, dry, rest, nil
}

func (d *differ) resource(gvr schema.GroupVersionResource, ns string, namespaced bool) dynamic.ResourceInterface {
	return d.m.client(Resource{Ref: kube.ObjectRef{Namespace: ns}, GVR: gvr, Namespaced: namespaced})
}

// change compares live and desired without noise and masks Secrets.
func (d *differ) change(t *target, live, desired *unstructured.Unstructured) Change {
	l, de := Normalize(live), Normalize(desired)
	c := Change{Ref: t.ref, Live: l, Desired: de}
	switch {
	case live == nil:
		c.Action = Created
	case equality.Semantic.DeepEqual(l.Object, de.Object):
		c.Action = Unchanged
	default:
		c.Action = Configured
	}
	if !d.opts.ShowSecrets && IsSecret(desired) {
		// Mask before normalising, so that values found only in the
		// last-applied annotation are hidden in the other annotations too.
		ml, md := MaskSecrets(live, desired)
		c.Live, c.Desired = Normalize(ml), Normalize(md)
	}
	if c.Action == Configured {
		c.Fields = FieldChanges(c.Live, c.Desired)
	}
	return c
}
