package diff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/csaupgrade"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// Helm 3 marks every object of a release with these annotations and label
// (and its CLI writes objects with client-side requests: create, then
// three-way merge patches, under the field manager named like its binary,
// "helm").
const (
	HelmReleaseNameAnnotation      = "meta.helm.sh/release-name"
	HelmReleaseNamespaceAnnotation = "meta.helm.sh/release-namespace"
	HelmManagedByLabel             = "app.kubernetes.io/managed-by"
)

// helmMarker is the field whose client-side owners are Helm's managers, as
// kubectl finds the client-side owners of its last-applied annotation.
var helmMarker = fieldpath.NewSet(fieldpath.MakePathOrDie("metadata", "annotations", HelmReleaseNameAnnotation))

// HelmManagers returns the field managers that wrote u with client-side
// (Update) requests and own Helm's release annotation: the Helm CLI, by
// whatever name its binary had. Empty for nil.
func HelmManagers(u *unstructured.Unstructured) sets.Set[string] {
	names := sets.New[string]()
	if u == nil {
		return names
	}
	for _, e := range csaupgrade.FindFieldsOwners(u.GetManagedFields(), metav1.ManagedFieldsOperationUpdate, helmMarker) {
		names.Insert(e.Manager)
	}
	return names
}

// TakesOver reports whether applying to live as fieldManager takes the
// object over from Helm: Helm's managers wrote it and fieldManager never
// applied it. Such an apply moves their fields to fieldManager first (see
// Manager.TakeOver); a dry-run shows it as that apply would do it (see
// Diff).
func TakesOver(live *unstructured.Unstructured, fieldManager string) bool {
	if live == nil || HelmManagers(live).Len() == 0 {
		return false
	}
	return !slices.ContainsFunc(live.GetManagedFields(), func(e metav1.ManagedFieldsEntry) bool {
		return e.Manager == fieldManager && e.Operation == metav1.ManagedFieldsOperationApply
	})
}

// maxTakeOverAttempts bounds how often TakeOver reads an object again that
// changed between its read and its patch.
const maxTakeOverAttempts = 3

// TakeOver moves every field that Helm's managers own on the object of r
// to the Manager's field manager, as kubectl apply --server-side migrates
// client-side-applied objects (k8s.io/client-go/util/csaupgrade): one JSON
// patch of metadata.managedFields, guarded by the resourceVersion read.
// Nothing else of the object changes (no new generation, no rollout). The
// next apply then owns those fields: it changes them without conflicts and
// removes those it no longer sets, Helm's annotations among them. It
// reports whether it moved anything: not when Helm never wrote the object,
// nor when it does not exist.
func (m *Manager) TakeOver(ctx context.Context, r Resource) (bool, error) {
	for attempt := 1; ; attempt++ {
		live, err := m.Get(ctx, r)
		if err != nil || live == nil {
			return false, err
		}
		patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, HelmManagers(live), m.opts.FieldManager)
		if err != nil {
			return false, fmt.Errorf("%s: moving Helm's managed fields: %w", r.Ref, err)
		}
		if patch == nil {
			return false, nil
		}
		if IsSecret(live) {
			ctx = NewRedactor(live).Context(ctx)
		}
		_, err = m.client(r).Patch(ctx, r.Ref.Name, types.JSONPatchType, patch, metav1.PatchOptions{FieldManager: m.opts.FieldManager})
		if apierrors.IsConflict(err) && attempt < maxTakeOverAttempts {
			continue
		}
		if err != nil {
			return false, m.redact(live, requestError(r.Ref, r.GVR, takeOverRequest, err))
		}
		return true, nil
	}
}

// errRaced says the object changed between two requests of one diff.
var errRaced = errors.New("the object changed during the diff; run it again")

var (
	takeOverRequest = request{verb: "patch", purpose: "taking the object over from Helm", rejected: "take-over rejected"}
	defaultRequest  = request{verb: "update", purpose: "dry-run of the takeover", rejected: "dry-run rejected"}
)

// takenOver turns dry, the dry-run of t on live that Helm wrote, into what
// the apply after TakeOver leaves: without the fields only Helm owned that
// the render does not set (see released). Helm's create made it own the
// fields the server defaulted too; the apply prunes them and the server
// defaults them again, so the pruned object goes through a dry-run update
// to get them back, rather than show them removed.
func (d *differ) takenOver(ctx context.Context, t *target, live, dry *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	pruned := released(live, dry)
	if pruned == dry {
		return dry, nil
	}
	red := NewRedactor(t.obj, live)
	if IsSecret(t.obj) {
		ctx = red.Context(ctx)
	}
	res := Resource{Ref: t.ref, GVR: t.gvr, Namespaced: t.namespaced}
	got, err := d.m.client(res).Update(ctx, pruned, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: d.opts.FieldManager})
	if apierrors.IsConflict(err) {
		// A controller wrote the object since the dry-run: diff it again.
		return nil, fmt.Errorf("%s: %w", t.ref, errRaced)
	}
	if err != nil {
		return nil, red.Error(requestError(t.ref, t.gvr, defaultRequest, err))
	}
	return got, nil
}

// released returns dry without the fields that an apply after TakeOver
// removes and a dry-run before it cannot: those Helm's managers own on
// live that no other manager owns in dry (the dry-run's own entry is the
// applied set). Helm's release annotations are such fields: Helm adds
// them, charts do not render them.
func released(live, dry *unstructured.Unstructured) *unstructured.Unstructured {
	helm := HelmManagers(live)
	keep := fieldSet(dry, func(e metav1.ManagedFieldsEntry) bool { return !isHelmEntry(e, helm) })
	drop := fieldSet(live, func(e metav1.ManagedFieldsEntry) bool { return isHelmEntry(e, helm) }).Difference(keep)
	if drop.Empty() {
		return dry
	}
	out := dry.DeepCopy()
	drop.Iterate(func(p fieldpath.Path) {
		// A map or list item someone still owns fields of stays, as
		// server-side apply adds owned fields back after pruning.
		if !ownsUnder(keep, p) {
			out.Object = without(out.Object, p).(map[string]any)
		}
	})
	return out
}

// ownsUnder reports whether s holds a field below p.
func ownsUnder(s *fieldpath.Set, p fieldpath.Path) bool {
	for _, pe := range p {
		child, ok := s.Children.Get(pe)
		if !ok {
			return false
		}
		s = child
	}
	return !s.Empty()
}

// isHelmEntry tells the entries TakeOver moves: Helm's managers' updates
// of the main resource.
func isHelmEntry(e metav1.ManagedFieldsEntry, helm sets.Set[string]) bool {
	return helm.Has(e.Manager) && e.Operation == metav1.ManagedFieldsOperationUpdate && e.Subresource == ""
}

// fieldSet is the union of the fields of u's managers that match, those of
// subresources included: the controller-manager writes a Deployment's
// revision annotation through its status. Entries that do not decode are
// left out: csaupgrade does the same.
func fieldSet(u *unstructured.Unstructured, match func(metav1.ManagedFieldsEntry) bool) *fieldpath.Set {
	out := &fieldpath.Set{}
	for _, e := range u.GetManagedFields() {
		if e.FieldsV1 == nil || !match(e) {
			continue
		}
		s := &fieldpath.Set{}
		if err := s.FromJSON(bytes.NewReader(e.FieldsV1.GetRawBytes())); err == nil {
			out = out.Union(s)
		}
	}
	return out
}

// without removes the field at p from node, and the maps its removal
// empties, as server-side apply does; a path that is not there changes
// nothing.
func without(node any, p fieldpath.Path) any {
	if len(p) == 0 {
		return node
	}
	switch n := node.(type) {
	case map[string]any:
		name := p[0].FieldName
		if name == nil {
			return n
		}
		child, ok := n[*name]
		switch {
		case !ok:
		case len(p) == 1:
			delete(n, *name)
		default:
			n[*name] = without(child, p[1:])
			if m, isMap := n[*name].(map[string]any); isMap && len(m) == 0 {
				delete(n, *name)
			}
		}
		return n
	case []any:
		i := indexOf(n, p[0])
		if i < 0 {
			return n
		}
		if len(p) == 1 {
			return append(n[:i:i], n[i+1:]...)
		}
		n[i] = without(n[i], p[1:])
		return n
	}
	return node
}

// indexOf finds the list item pe names: by index, by its key fields, or
// by its value.
func indexOf(list []any, pe fieldpath.PathElement) int {
	for i, item := range list {
		switch {
		case pe.Index != nil:
			if *pe.Index == i {
				return i
			}
		case pe.Key != nil:
			if hasKeyFields(item, *pe.Key) {
				return i
			}
		case pe.Value != nil:
			if value.Equals(value.NewValueInterface(item), *pe.Value) {
				return i
			}
		}
	}
	return -1
}

func hasKeyFields(item any, key value.FieldList) bool {
	m, ok := item.(map[string]any)
	if !ok {
		return false
	}
	for _, f := range key {
		v, ok := m[f.Name]
		if !ok || !value.Equals(value.NewValueInterface(v), f.Value) {
			return false
		}
	}
	return true
}

// without returns e less the conflicts with managers; nil when none is
// left.
func (e *ConflictError) without(managers sets.Set[string]) *ConflictError {
	var rest []Conflict
	for _, c := range e.Conflicts {
		if !managers.Has(c.Manager) {
			rest = append(rest, c)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return &ConflictError{Ref: e.Ref, Conflicts: rest, Err: e.Err}
}
