package promote

import (
	"context"
	"fmt"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// History returns t's release records, newest first, without manifests.
func History(ctx context.Context, t Target) ([]release.Summary, error) {
	records, err := t.Store().List(ctx)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history of %s: %w", t.Env.Name, err))
	}
	sums := make([]release.Summary, len(records))
	for i, r := range records {
		sums[i] = r.Summary()
	}
	return sums, nil
}

// CurrentRelease is t's newest successful release, nil before the first.
// Its record is read with Secret bodies kept out of -v logs (records hold
// whole manifests).
func CurrentRelease(ctx context.Context, t Target) (*release.Record, error) {
	rec, err := t.Store().Latest(diff.NewRedactor().Context(ctx), release.Succeeded)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history of %s: %w", t.Env.Name, err))
	}
	return rec, nil
}

// PreviousInventory is the inventory of t's current successful release, as
// diff.Options.Previous wants it: what Deploy prunes is judged against it,
// so a diff given it shows the same deletions. Nil when t has no
// successful release yet.
func PreviousInventory(ctx context.Context, t Target) ([]kube.ObjectRef, error) {
	prev, err := CurrentRelease(ctx, t)
	if err != nil || prev == nil {
		return nil, err
	}
	return prev.Inventory, nil
}
