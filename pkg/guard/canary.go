package guard

import (
	"context"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// continueCanary takes over a canary rollout its deploy handed to the
// guard at a timed pause (state phase handed-off, no process holding the
// lock) and carries it on from there, as `kubectl promote resume` takes
// over a rollout whose process is gone, but without ending the pause: the
// guard holds it, watching the canary, then runs the remaining steps and
// the promotion, or undoes the release on a failure. handled: there was
// such a rollout (whatever came of it).
func (e *envGuard) continueCanary(ctx context.Context) (handled bool, err error) {
	if e.req.Env.Strategy.Canary == nil {
		return false, nil
	}
	st, _, err := e.store.State(ctx)
	if err != nil || st == nil || st.Strategy != release.StrategyCanary || st.Phase != rollout.PhaseHandedOff {
		return false, err
	}
	if busy, err := e.busy(ctx); err != nil || busy {
		return busy, err
	}
	rev := st.CanaryRevision
	e.g.emit(ctx, e.event(Continuing, rev, "continuing the canary of revision %d that its deploy handed over at step %d/%d (%s)",
		rev, st.Step, st.Steps, st.PauseReason))
	res, err := promote.Control(ctx, promote.ControlRequest{
		Pipeline: e.req.Pipeline, Env: e.req.Env, Namespace: e.req.Namespace, Clients: e.req.Clients,
		Action: promote.Continue, Health: e.req.Health, Holder: e.g.o.Holder, Lock: e.req.Lock,
		HardStop: context.WithoutCancel(ctx), NoHandOff: true, Clock: e.g.o.Clock,
		Events: func(pe promote.Event) {
			e.g.emit(ctx, Event{Time: pe.Time, Kind: Progress, Environment: e.req.Env.Name, Namespace: e.req.Namespace, Revision: rev, Message: pe.Phase + ": " + pe.Message})
		},
	})
	switch {
	case res != nil && !res.TookOver:
		return true, nil // a deploy drives it again
	case err == nil:
		e.g.emit(ctx, e.event(Continued, rev, "the canary of revision %d finished: revision %d succeeded", rev, rev))
		return true, nil
	}
	switch exitcode.Code(err) {
	case exitcode.RolledBack:
		e.g.emit(ctx, e.event(RolledBack, rev, "the canary of revision %d failed and was undone: %v", rev, err))
		return true, nil
	case exitcode.UndoFailed:
		e.g.emit(ctx, e.event(UndoFailed, rev, "the canary of revision %d failed and its undo failed: %v", rev, err))
		return true, nil
	}
	return true, err
}
