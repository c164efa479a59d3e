package promote

import (
	"context"
	"fmt"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// undo puts the previous release back whole: every object of its manifest
// re-applied (taking back any field the failed release changed), what the
// failed release added pruned, then watched until healthy. With no previous
// release it removes what the failed release created.
func (d *deployment) undo(ctx context.Context) error {
	prev := d.result.Previous
	if prev == nil {
		return d.undoFirst(ctx)
	}
	d.emit("undo", "re-applying revision %d whole", prev.Revision)
	objs, err := rollout.DecodeManifest(prev.Manifest)
	if err != nil {
		return err
	}
	o := rollout.DefaultApplyOptions()
	o.Labels, o.Force = d.owner(), true
	applied, err := rollout.Apply(ctx, d.Clients, objs, o)
	if err != nil {
		return fmt.Errorf("re-applying revision %d: %w", prev.Revision, err)
	}
	added := rollout.Missing(d.rec.Inventory, prev.Inventory)
	deleted, err := rollout.Prune(ctx, d.Clients, added, d.owner())
	for _, r := range deleted {
		d.emit("undo", "deleted %s (added by the failed revision)", r)
	}
	if err != nil {
		return err
	}
	d.rec.RolledBackTo = prev.Revision
	if err := d.watch(ctx, applied, d.Health.UndoTimeout.D(), 0); err != nil {
		return fmt.Errorf("revision %d is not healthy again: %w", prev.Revision, err)
	}
	d.emit("undo", "revision %d is healthy again", prev.Revision)
	return nil
}

// undoFirst handles a failed first release: there is nothing to go back to,
// so, like `helm install --atomic`, the objects it created are deleted and
// objects that existed before it are left as they are now.
func (d *deployment) undoFirst(ctx context.Context) error {
	d.emit("undo", "no previous release: deleting the objects revision %d created", d.rec.Revision)
	var created []release.ObjectRef
	if cs := d.result.ChangeSet; cs != nil {
		for _, c := range cs.Changes {
			if c.Action == "created" {
				created = append(created, release.ObjectRef{Group: c.Ref.Group, Version: c.Ref.Version, Kind: c.Ref.Kind, Namespace: c.Ref.Namespace, Name: c.Ref.Name})
			}
		}
	}
	deleted, err := rollout.Prune(ctx, d.Clients, created, d.owner())
	for _, r := range deleted {
		d.emit("undo", "deleted %s", r)
	}
	return err
}
