package guard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// undo acts on the failure f of rec: under the environment's lock, and
// only while rec is still the newest successful release, it re-applies
// the previous successful one and records rec's outcome. acted is false
// when another run held the lock: the guard looks again later.
func (e *envGuard) undo(ctx context.Context, rec *release.Record, f *watch.Failure) (acted bool, err error) {
	fail := failureOf(f, e.g.o.Clock.Now())
	e.g.o.Metrics.failure(e.req.Env.Name, f.Reason)
	ev := e.event(Detected, rec.Revision, "revision %d failed after its success: %v", rec.Revision, f)
	ev.Failure = fail
	e.g.emit(ctx, ev)
	lock, err := release.Acquire(ctx, e.req.Clients.Typed, e.req.Namespace, e.req.Pipeline, e.req.Env.Name, e.g.o.Holder,
		release.LockOptions{LeaseDuration: e.req.Lock.LeaseDuration, RenewEvery: e.req.Lock.RenewEvery, Clock: e.g.o.Clock})
	var locked *release.LockedError
	if errors.As(err, &locked) {
		e.g.emit(ctx, e.event(LeftAlone, rec.Revision, "%s holds the lock: leaving %s to it", locked.Holder, e.req.Env.Name))
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// The undo goes on when the guard is stopped (its own budgets bound
	// it); only losing the lock stops it.
	uctx, unfence := fence(context.WithoutCancel(ctx), lock)
	defer unfence()
	defer e.unlock(ctx, lock)
	return true, e.undoLocked(uctx, rec, fail, lock)
}

// undoLocked is undo once the lock is held.
func (e *envGuard) undoLocked(ctx context.Context, rec *release.Record, fail *release.Failure, lock *release.Lock) error {
	recs, err := e.store.List(ctx)
	if err != nil {
		return fmt.Errorf("reading release history: %w", err)
	}
	if cur := newestSucceeded(recs); cur == nil || cur.Revision != rec.Revision {
		e.g.o.Metrics.outcome(e.req.Env.Name, Handled)
		e.g.emit(ctx, e.event(Handled, rec.Revision, "revision %d is no longer the newest successful release: nothing to undo", rec.Revision))
		return nil
	}
	target := previousSucceeded(recs, rec.Revision)
	if target == nil {
		return e.finish(ctx, rec, fail, nil, errors.New("no earlier successful release to go back to"), lock)
	}
	e.g.o.Metrics.detectionToUndo(e.g.o.Clock.Since(fail.Detected))
	ev := e.event(UndoStarted, rec.Revision, "undoing revision %d: going back to revision %d", rec.Revision, target.Revision)
	ev.Target, ev.Failure = target.Revision, fail
	e.g.emit(ctx, ev)
	req := e.req
	req.Held, req.Holder = lock, e.g.o.Holder
	req.Env = undoEnv(req.Env)
	req.Events = func(pe promote.Event) {
		e.g.emit(ctx, Event{Time: pe.Time, Kind: Progress, Environment: req.Env.Name, Namespace: req.Namespace, Revision: rec.Revision, Message: pe.Phase + ": " + pe.Message})
	}
	handed, err := e.handedOff(ctx, rec)
	if err != nil {
		return err
	}
	var uerr error
	if handed != nil {
		// The old colour still runs the previous release: flip back to it.
		uerr = e.flipBack(ctx, rec, target)
	} else {
		_, uerr = promote.Undo(ctx, promote.UndoRequest{Request: req, ToRevision: target.Revision})
	}
	return e.finish(ctx, rec, fail, target, uerr, lock)
}

// undoEnv is env as the guard's undo deploys to it. An undo of a late
// failure is an emergency back to a release known good: rolling, without a
// canary's steps and pauses (a finished canary left only its stable
// objects, which rolling updates in place); blue-green, whose live
// Deployments are colours, switches to the other colour as soon as it is
// healthy, without analyses, a wait for `resume` or a scale-down delay.
func undoEnv(env *pipeline.Environment) *pipeline.Environment {
	out := *env
	if bg := env.Strategy.BlueGreen; bg != nil {
		auto := true
		out.Strategy = pipeline.Strategy{BlueGreen: &pipeline.BlueGreen{
			ActiveService: bg.ActiveService, PreviewService: bg.PreviewService, AutoPromote: &auto}}
		return &out
	}
	out.Strategy = pipeline.Strategy{}
	return &out
}

// finish records rec's outcome, by the guard, unless the lock was lost
// (someone else owns the environment now).
func (e *envGuard) finish(ctx context.Context, rec *release.Record, fail *release.Failure, target *release.Record, undoErr error, lock *release.Lock) error {
	kind, status := RolledBack, release.RolledBack
	switch {
	case target == nil:
		kind, status = NoUndo, release.Failed
	case undoErr != nil:
		kind, status = UndoFailed, release.UndoFailed
	}
	if target != nil {
		e.g.o.Metrics.undo(e.req.Env.Name, undoErr == nil)
	}
	e.g.o.Metrics.outcome(e.req.Env.Name, kind)
	e.g.count(kind)
	ev := e.event(kind, rec.Revision, "%s", outcomeText(rec, target, undoErr))
	ev.Failure = fail
	if target != nil {
		ev.Target = target.Revision
	}
	defer e.g.emit(ctx, ev)
	if lost := lock.Err(); lost != nil {
		ev.Message += fmt.Sprintf("; not recorded: %v", lost)
		return nil
	}
	return e.record(ctx, rec.Revision, status, fail, target, undoErr)
}

func outcomeText(rec, target *release.Record, undoErr error) string {
	switch {
	case target == nil:
		return fmt.Sprintf("revision %d failed and %v: it stays, recorded failed; the environment needs a person", rec.Revision, undoErr)
	case undoErr != nil:
		return fmt.Sprintf("revision %d failed and the undo to revision %d failed too: %v; the environment needs a person", rec.Revision, target.Revision, undoErr)
	}
	return fmt.Sprintf("revision %d failed after its success and was undone: revision %d runs again", rec.Revision, target.Revision)
}

// record writes rec's outcome with a budget of its own.
func (e *envGuard) record(ctx context.Context, rev int, status release.Status, fail *release.Failure, target *release.Record, undoErr error) error {
	ctx, cancel := context.WithTimeout(ctx, promote.DefaultRecordTimeout)
	defer cancel()
	rec, err := e.store.Get(ctx, rev)
	if err != nil {
		return err
	}
	rec.Status, rec.By, rec.Failure, rec.Finished = status, release.ByGuard, fail, e.g.o.Clock.Now()
	rec.Reason = "failed after its success, detected by the guard: " + failureText(fail)
	if undoErr != nil {
		rec.Reason += "; undo: " + undoErr.Error()
	}
	if status == release.RolledBack {
		rec.RolledBackTo = target.Revision
	}
	if err := e.store.Update(ctx, rec); err != nil {
		return fmt.Errorf("recording revision %d %s: %w", rev, status, err)
	}
	return nil
}

func (e *envGuard) unlock(ctx context.Context, lock *release.Lock) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), promote.DefaultRecordTimeout)
	defer cancel()
	if err := lock.Release(ctx); err != nil {
		e.g.emit(ctx, e.event(Error, 0, "releasing the lock: %v", err))
	}
}

// fence returns a context cancelled, with the loss as its cause, when lock
// is lost.
func fence(parent context.Context, lock *release.Lock) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		select {
		case <-lock.Lost():
			cancel(lock.Err())
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

func failureOf(f *watch.Failure, now time.Time) *release.Failure {
	detected := f.Observed
	if detected.IsZero() {
		detected = now
	}
	return &release.Failure{Object: f.Object, Container: f.Container, Reason: f.Reason, Message: f.Message, Detected: detected}
}

func failureText(f *release.Failure) string {
	return (&watch.Failure{Object: f.Object, Container: f.Container, Reason: f.Reason, Message: f.Message}).Error()
}

// newestSucceeded is the first successful record of recs (newest first).
func newestSucceeded(recs []*release.Record) *release.Record {
	for _, r := range recs {
		if r.Status == release.Succeeded {
			return r
		}
	}
	return nil
}

// previousSucceeded is the newest successful record older than rev.
func previousSucceeded(recs []*release.Record, rev int) *release.Record {
	for _, r := range recs {
		if r.Status == release.Succeeded && r.Revision < rev {
			return r
		}
	}
	return nil
}
