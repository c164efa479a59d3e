package promote

import (
	"context"
	"fmt"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
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

// PreviousInventory is the inventory of t's current successful release, as
// diff.Options.Previous wants it: what Deploy prunes is judged against it,
// so a diff given it shows the same deletions. Nil when t has no
// successful release yet.
func PreviousInventory(ctx context.Context, t Target) ([]diff.ObjectRef, error) {
	// Records are Secrets holding whole manifests: keep their bodies out
	// of -v logs.
	prev, err := t.Store().Latest(diff.NewRedactor().Context(ctx), release.Succeeded)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history of %s: %w", t.Env.Name, err))
	}
	if prev == nil {
		return nil, nil
	}
	return toDiffRefs(prev.Inventory), nil
}
