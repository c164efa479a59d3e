package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/notify"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/hooks"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// The outcomes of a run that changed the environment, as record status and
// exit code:
//
//	healthy through verify                → succeeded    0
//	failed or interrupted (first signal),
//	  undo done                           → rolled-back  4
//	  undo failed                         → undo-failed  5
//	  undo stopped hard (further signal)  → interrupted  5
//	lock lost (rollout or undo)           → interrupted  6, no (further) undo
//
// A run stopped before its record was created changed nothing: the error
// of what stopped it (a signal: 130/143; the lock lost: 6).

// recordContext is the time budget of the record's final writes: its own,
// whatever ended ctx (a signal) or the hard stop.
func (d *deployment) recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d.RecordTimeout)
}

func (d *deployment) succeed(ctx context.Context) error {
	rctx, cancel := d.recordContext(ctx)
	defer cancel()
	now := d.Clock.Now()
	d.rec.Status, d.rec.Finished, d.rec.HealthySince = release.Succeeded, now, now
	if err := d.store.Update(rctx, d.rec); err != nil {
		return exitcode.With(exitcode.Cluster, fmt.Errorf("revision %d is healthy but could not be recorded: %w", d.rec.Revision, err))
	}
	d.emit("done", "revision %d succeeded", d.rec.Revision)
	d.notify(ctx, notify.Succeeded)
	if err := d.store.Prune(rctx, d.History); err != nil {
		d.emit("done", "warning: trimming release history: %v", err)
	}
	return nil
}

// fail records the failure, undoes it with its own time budget (fenced by
// the lock) and reports both errors when the undo fails too.
func (d *deployment) fail(ctx context.Context, failure error) error {
	if d.guard.Err() == nil && ctx.Err() != nil && !isAbort(failure) {
		failure = fmt.Errorf("interrupted: %w", failure)
	}
	d.rec.Status, d.rec.Reason = release.Failed, failure.Error()
	var f *watch.Failure
	if errors.As(failure, &f) {
		d.rec.Failure = &release.Failure{Object: f.Object, Container: f.Container, Reason: f.Reason, Message: f.Message, Detected: f.Observed}
	}
	if d.guard.Err() != nil {
		return d.abandon(ctx, failure, "")
	}
	d.notify(ctx, notify.Failed)
	d.emit("undo", "revision %d failed: %v", d.rec.Revision, failure)
	uctx, cancel := context.WithTimeout(d.HardStop, d.Health.UndoTimeout.D())
	defer cancel()
	uctx, unfence := d.guard.fence(uctx)
	defer unfence()
	d.updateRecord(uctx)
	undoErr := d.undo(uctx)
	return d.finish(ctx, failure, undoErr)
}

func isAbort(err error) bool {
	var a *rollout.AbortedError
	return errors.As(err, &a)
}

func (d *deployment) finish(ctx context.Context, failure, undoErr error) error {
	if undoErr != nil && d.guard.Err() != nil {
		return d.abandon(ctx, failure, " during the undo")
	}
	rctx, cancel := d.recordContext(ctx)
	defer cancel()
	d.rec.Finished = d.Clock.Now()
	switch {
	case undoErr == nil:
		d.rec.Status = release.RolledBack
		d.updateRecord(rctx)
		d.notify(ctx, notify.RolledBack)
		return exitcode.With(exitcode.RolledBack, fmt.Errorf("revision %d failed and was undone: %w", d.rec.Revision, failure))
	case d.HardStop.Err() != nil:
		d.rec.Status, d.rec.Reason = release.Interrupted, d.rec.Reason+"; undo interrupted"
		d.updateRecord(rctx)
		d.notify(ctx, notify.UndoFailed)
		return exitcode.With(exitcode.UndoFailed, fmt.Errorf("revision %d failed (%v) and the undo was interrupted: the environment needs a person", d.rec.Revision, failure))
	default:
		d.rec.Status, d.rec.Reason = release.UndoFailed, d.rec.Reason+"; undo: "+undoErr.Error()
		d.updateRecord(rctx)
		d.notify(ctx, notify.UndoFailed)
		return exitcode.With(exitcode.UndoFailed, fmt.Errorf("revision %d failed: %w; and the undo failed too: %v", d.rec.Revision, failure, undoErr))
	}
}

func (d *deployment) updateRecord(ctx context.Context) {
	if err := d.store.Update(ctx, d.rec); err != nil {
		d.emit("undo", "warning: recording revision %d: %v", d.rec.Revision, err)
	}
}

// undo runs the strategy's undo; a failure before the strategy started
// (say, while choosing it) falls back to rolling.
func (d *deployment) undo(ctx context.Context) error {
	if d.sw == nil {
		d.sw = d.newSwitch()
	}
	if d.strategy == nil {
		d.strategy = rollout.Rolling{}
	}
	// The rollback hooks are those of the release going back, as in Helm.
	back, err := RecordHooks(d.result.Previous)
	if err != nil {
		return err
	}
	if err := d.runHooks(ctx, hooks.PreRollback, back); err != nil {
		return err
	}
	if err := d.strategy.Undo(ctx, d.sw); err != nil {
		return err
	}
	if err := d.runHooks(ctx, hooks.PostRollback, back); err != nil {
		return err
	}
	if d.result.Previous != nil {
		d.rec.RolledBackTo = d.result.Previous.Revision
	}
	return nil
}

// abandon stops without undoing (any further): the lock was broken or
// taken over, so someone else may be changing the environment now and an
// undo would fight them. Only this run's own record is still written.
func (d *deployment) abandon(ctx context.Context, failure error, during string) error {
	why := fmt.Errorf("%w%s: stopped without undoing; whoever holds the lock now may be changing %s", d.guard.Err(), during, d.Env.Name)
	rctx, cancel := d.recordContext(ctx)
	defer cancel()
	d.rec.Status, d.rec.Reason, d.rec.Finished = release.Interrupted, why.Error(), d.Clock.Now()
	d.updateRecord(rctx)
	d.notifyAbandoned(ctx, during != "")
	return exitcode.With(exitcode.Blocked, fmt.Errorf("revision %d: %w (%v)", d.rec.Revision, why, failure))
}
