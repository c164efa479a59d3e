package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// UndoRequest re-applies an earlier release of Request's environment.
type UndoRequest struct {
	// Request is the environment's deploy; Undo fills its Objects,
	// Artifacts and Source from the chosen record.
	Request Request
	// ToRevision is the revision to go back to; 0 means the newest
	// successful release before the current one.
	ToRevision int
}

// UndoResult is what Undo did.
type UndoResult struct {
	// Target is the record whose manifest was re-applied.
	Target *release.Record
	// Deploy is the new revision's deploy (nil when no target was found).
	Deploy *Result
}

// Undo re-applies an earlier release record whole (every object, not only
// the pod template) as a new revision, with the environment's strategy,
// watched and undone on failure like any deploy. A revision that does not
// exist, or no earlier successful release, is bad input (exit 2).
func Undo(ctx context.Context, u UndoRequest) (*UndoResult, error) {
	req := u.Request
	req.defaults()
	store := release.NewStore(req.Clients.Typed, req.Namespace, req.Pipeline, req.Env.Name)
	target, err := UndoTarget(ctx, store, u.ToRevision)
	if err != nil {
		return &UndoResult{}, err
	}
	objs, err := rollout.DecodeManifest(target.Manifest)
	if err != nil {
		return &UndoResult{Target: target}, exitcode.With(exitcode.BadInput, fmt.Errorf("revision %d: %w", target.Revision, err))
	}
	hs, err := RecordHooks(target)
	if err != nil {
		return &UndoResult{Target: target}, exitcode.With(exitcode.BadInput, err)
	}
	req.emitf("undo", "going back to revision %d (%s)", target.Revision, artifactList(target.Artifacts))
	req.Objects, req.Artifacts = objs, target.Artifacts
	// As `helm rollback`: the rollback hooks of the release going back.
	req.Hooks, req.Rollback = hs, true
	req.Source = &release.Source{Environment: req.Env.Name, Revision: target.Revision}
	res, err := Deploy(ctx, req)
	return &UndoResult{Target: target, Deploy: res}, err
}

// UndoTarget finds the record to go back to: revision rev, or with rev 0
// the newest successful release before the current one.
func UndoTarget(ctx context.Context, store *release.Store, rev int) (*release.Record, error) {
	if rev < 0 {
		return nil, exitcode.With(exitcode.BadInput, errors.New("--to-revision must be positive"))
	}
	if rev > 0 {
		rec, err := store.Get(ctx, rev)
		if err != nil {
			return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("revision %d: %w (see `kubectl promote history`)", rev, err))
		}
		return rec, nil
	}
	recs, err := store.List(ctx)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history: %w", err))
	}
	if prev := previousSucceeded(recs); prev != nil {
		return prev, nil
	}
	return nil, exitcode.With(exitcode.BadInput, errors.New("no earlier successful release to go back to (see `kubectl promote history`)"))
}

// previousSucceeded is the second newest successful record of recs
// (newest first).
func previousSucceeded(recs []*release.Record) *release.Record {
	seen := false
	for _, r := range recs {
		if r.Status != release.Succeeded {
			continue
		}
		if seen {
			return r
		}
		seen = true
	}
	return nil
}

func artifactList(as []release.Artifact) string {
	if len(as) == 0 {
		return "no artifacts"
	}
	return refs(as)
}
