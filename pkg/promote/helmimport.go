package promote

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/helmimport"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// ImportHelm takes the environment of r over from the deployed Helm release
// named name in r.Namespace, in place: under the environment's lock it
// checks the objects of the release's manifest, moves the fields Helm's
// field manager owns to the tool's, applies that manifest with the owner
// labels (Helm's release annotations go: the tool manages the objects
// now), and writes the first release record, which names the Helm release,
// its revision, chart and values (Record.Origin). No object is recreated
// and no pod template changes. Helm's own storage is left as it is.
//
// An environment that already has a succeeded release is refused (exit 2),
// as is a release that does not exist. With r.DryRun only the checks run.
// r.Objects is not used: what runs is what Helm deployed.
func ImportHelm(ctx context.Context, r Request, name string) (*Result, error) {
	r.defaults()
	d := newDeployment(r, clusterDeps(&r))
	rel, err := d.helmRelease(ctx, name)
	if err != nil {
		return nil, err
	}
	if rel == nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("no deployed Helm release %q in namespace %s (helm list -n %s shows the releases there)", name, d.Namespace, d.Namespace))
	}
	if err := rel.Check(ctx, d.Clients, d.ownerOf()); err != nil {
		return nil, err
	}
	if d.DryRun {
		d.emit("dry-run", "%s: its %d objects can be taken over; nothing was changed", rel, len(rel.Objects))
		return &d.result, nil
	}
	unlock, err := d.hold(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ctx, cancel := d.guard.fence(ctx)
	defer cancel()
	prev, err := d.store.Latest(ctx, release.Succeeded)
	if err != nil {
		return nil, d.beforeChange(exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history: %w", err)))
	}
	if prev != nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("environment %s already runs revision %d of this tool: helm-import only takes over an environment it never deployed", d.Env.Name, prev.Revision))
	}
	rec, err := d.importHelm(ctx, rel)
	d.result.Record = rec
	return &d.result, err
}

// helmRelease reads the deployed Helm release name of the environment's
// namespace; nil when there is none.
func (d *deployment) helmRelease(ctx context.Context, name string) (*helmimport.Release, error) {
	rel, err := helmimport.Find(ctx, d.Clients, d.Namespace, name)
	if err != nil {
		return nil, fmt.Errorf("looking for Helm release %s: nothing was changed: %w", name, err)
	}
	return rel, nil
}

// findHelm notes the Helm release that runs a Helm environment the tool
// never deployed: the first apply takes it over (see takeOverHelm).
func (d *deployment) findHelm(ctx context.Context) error {
	src := d.Env.Source.Helm
	if src == nil {
		return nil
	}
	name := src.ReleaseName
	if name == "" {
		name = d.Env.Name
	}
	rel, err := d.helmRelease(ctx, name)
	if err != nil || rel == nil {
		return err
	}
	if err := rel.Check(ctx, d.Clients, d.ownerOf()); err != nil {
		return fmt.Errorf("taking over %s: nothing was changed: %w", rel, err)
	}
	d.emit("dry-run", "%s runs this environment: the apply takes its objects over in place", rel)
	d.helm = rel
	return nil
}

// takeOverHelm imports the Helm release findHelm found, as its own first
// revision, before the new one is recorded: the new release then has a
// previous one to undo to (what Helm deployed).
func (d *deployment) takeOverHelm(ctx context.Context) error {
	if d.helm == nil {
		return nil
	}
	rec, err := d.importHelm(ctx, d.helm)
	if err != nil {
		return err
	}
	d.result.Previous = rec
	return nil
}

// importHelm takes rel's objects over and records it: progressing first,
// succeeded once Helm's fields are the tool's and its manifest is applied
// with the owner labels, failed (exit 3) otherwise.
func (d *deployment) importHelm(ctx context.Context, rel *helmimport.Release) (*release.Record, error) {
	objs, err := diff.Prepare(rel.Objects, d.ownerOf())
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("%s: %w", rel, err))
	}
	rec, err := d.importRecord(ctx, rel, objs)
	if err != nil {
		return nil, err
	}
	d.emit("apply", "taking over %s: %d objects", rel, len(objs))
	moved, err := helmimport.TakeOver(ctx, d.Clients, objs)
	if err == nil {
		_, err = diff.NewManager(d.Clients, diff.ApplyOptions{FieldManager: kube.FieldManager, Force: d.Force}).ApplyAll(ctx, objs)
	}
	rctx, cancel := d.recordContext(ctx)
	defer cancel()
	rec.Finished = d.Clock.Now()
	if err != nil {
		rec.Status, rec.Reason = release.Failed, fmt.Sprintf("taking over %s: %v", rel, err)
		if uerr := d.store.Update(rctx, rec); uerr != nil {
			err = fmt.Errorf("%w (recording revision %d as failed: %v)", err, rec.Revision, uerr)
		}
		return nil, fmt.Errorf("taking over %s: %w", rel, err)
	}
	rec.Status = release.Succeeded
	if err := d.store.Update(rctx, rec); err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("recording revision %d: %w", rec.Revision, err))
	}
	d.emit("apply", "took over %d objects from %s as revision %d (Helm's history is left as it is)", moved, rel, rec.Revision)
	return rec, nil
}

// importRecord writes the progressing record of an import of rel.
func (d *deployment) importRecord(ctx context.Context, rel *helmimport.Release, objs []*unstructured.Unstructured) (*release.Record, error) {
	origin, err := rel.Origin()
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, err)
	}
	manifest, err := rollout.EncodeManifest(objs)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, err)
	}
	rev, err := d.store.Next(ctx)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history: %w", err))
	}
	rec := &release.Record{
		Pipeline: d.Pipeline, Environment: d.Env.Name, Namespace: d.Namespace, Revision: rev,
		Status: release.Progressing, Strategy: "helm-import", Origin: origin,
		Manifest: manifest, Inventory: rollout.Inventory(objs),
		User: d.Holder.User, Host: d.Holder.Host, CIJobURL: d.Holder.CIJobURL, GitCommit: gitCommit(),
		Reason: "taken over from " + rel.String(), Started: d.Clock.Now(),
	}
	if c := rel.Helm.Chart; c != nil && c.Metadata != nil {
		rec.Artifacts = []release.Artifact{{Type: release.ArtifactChart, Name: c.Metadata.Name, Ref: c.Metadata.Version}}
	}
	if err := d.store.Create(ctx, rec); err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("recording revision %d: nothing was changed: %w", rev, err))
	}
	return rec, nil
}

// ownerOf is the owner of the environment's objects.
func (d *deployment) ownerOf() diff.Owner {
	return diff.Owner{Pipeline: d.Pipeline, Environment: d.Env.Name}
}
