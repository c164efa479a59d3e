package guard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// Why a watch of a release stopped before its window ended without a failure.
var (
	errReplaced = errors.New("a newer release succeeded")
	errBusy     = errors.New("another run holds the lock")
)

// envGuard guards one environment.
type envGuard struct {
	g       *Guard
	req     promote.Request
	store   *release.Store
	window  time.Duration
	guarded int // the revision last announced as Guarding
}

func newEnvGuard(g *Guard, req promote.Request) *envGuard {
	store := release.NewStore(req.Clients.Typed, req.Namespace, req.Pipeline, req.Env.Name)
	return &envGuard{g: g, req: req, store: store, window: req.Health.GuardWindow()}
}

func (e *envGuard) event(k Kind, rev int, format string, args ...any) Event {
	return Event{Kind: k, Environment: e.req.Env.Name, Namespace: e.req.Namespace, Revision: rev, Message: fmt.Sprintf(format, args...)}
}

// run guards the environment until ctx ends or, with UntilIdle, until it
// is idle.
func (e *envGuard) run(ctx context.Context) error {
	if why := e.unguarded(); why != "" {
		e.g.emit(ctx, e.event(Skipped, 0, "not guarded: %s", why))
		return nil
	}
	hctx, stop := context.WithCancel(ctx)
	beating := make(chan struct{})
	go func() { defer close(beating); e.heartbeat(hctx) }()
	defer func() { stop(); <-beating }() // the heartbeat is deleted before Run returns
	for {
		idle, err := e.round(ctx)
		if err != nil && ctx.Err() == nil {
			e.g.emit(ctx, e.event(Error, 0, "%v; trying again in %s", err, e.g.o.Interval))
		}
		if idle && e.g.o.UntilIdle {
			return nil
		}
		if err := e.g.sleep(ctx, e.g.o.Interval); err != nil {
			return err
		}
	}
}

// unguarded says why the environment is not guarded at all, or "".
func (e *envGuard) unguarded() string {
	switch {
	case e.window <= 0:
		return "health.guard is 0"
	}
	return ""
}

// round guards the newest successful release if it is inside its window
// and nobody is deploying. idle: nothing is left to do for now.
func (e *envGuard) round(ctx context.Context) (idle bool, err error) {
	if handled, err := e.continueCanary(ctx); handled || err != nil {
		return false, err
	}
	rec, until, err := e.current(ctx)
	if err != nil || rec == nil {
		return err == nil, err
	}
	busy, err := e.busy(ctx)
	if err != nil || busy {
		return false, err
	}
	return e.guard(ctx, rec, until)
}

// current is the newest successful release and the end of its window; nil
// when there is none or its window has passed.
func (e *envGuard) current(ctx context.Context) (*release.Record, time.Time, error) {
	rec, err := e.store.Latest(ctx, release.Succeeded)
	if err != nil || rec == nil {
		return nil, time.Time{}, err
	}
	until := successTime(rec).Add(e.window)
	if !e.g.o.Clock.Now().Before(until) {
		return nil, time.Time{}, nil
	}
	return rec, until, nil
}

// successTime is when rec was last known healthy at the end of its run.
func successTime(rec *release.Record) time.Time {
	for _, t := range []time.Time{rec.HealthySince, rec.Finished, rec.Started} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// busy tells whether someone holds the environment's lock (a deploying run).
func (e *envGuard) busy(ctx context.Context) (bool, error) {
	h, exp, err := release.CurrentHolder(ctx, e.req.Clients.Typed, e.req.Namespace, e.req.Pipeline, e.req.Env.Name)
	if err != nil || h == nil {
		return false, err
	}
	return exp.After(e.g.o.Clock.Now()), nil
}

// guard watches rec until its window ends, and acts on a failure.
func (e *envGuard) guard(ctx context.Context, rec *release.Record, until time.Time) (bool, error) {
	objs, err := e.live(ctx, rec)
	if err != nil {
		return false, err
	}
	if e.guarded != rec.Revision {
		e.guarded = rec.Revision
		ev := e.event(Guarding, rec.Revision, "guarding revision %d until %s", rec.Revision, until.UTC().Format(time.RFC3339))
		ev.Until = until
		e.g.emit(ctx, ev)
	}
	e.g.o.Metrics.guarding(e.req.Env.Name, true)
	defer e.g.o.Metrics.guarding(e.req.Env.Name, false)
	handed, err := e.handedOff(ctx, rec)
	if err != nil {
		return false, err
	}
	end := until
	if handed != nil {
		// A scale-down delay handed to the guard: watched until it ends
		// (even past the window), then the old colour goes; the rest of
		// the window is guarded next round.
		if end = handed.BlueGreen.ScaleDownAt; !end.After(e.g.o.Clock.Now()) {
			return false, e.scaleDown(ctx, rec)
		}
	}
	f, err := e.watch(ctx, rec, objs, end)
	switch {
	case f != nil && f.Reason != watch.ReasonTimeout:
		return e.undo(ctx, rec, f)
	case handed != nil && (f != nil || err == nil):
		return false, e.scaleDown(ctx, rec)
	case f != nil:
		// Not Current at the end of the window is no fail-fast signal:
		// the release stays, and a person can look.
		e.passed(ctx, rec, "its window ended with objects not Current: "+f.Message)
		return true, nil
	case err == nil:
		e.passed(ctx, rec, "healthy through its window")
		return true, nil
	case errors.Is(err, errReplaced) || errors.Is(err, errBusy) || ctx.Err() != nil:
		return false, nil
	}
	return false, err
}

// live returns rec's objects as they run: a blue-green release's target
// Deployments in the active colour.
func (e *envGuard) live(ctx context.Context, rec *release.Record) ([]*unstructured.Unstructured, error) {
	objs, err := rollout.DecodeManifest(rec.Manifest)
	if err != nil {
		return nil, fmt.Errorf("revision %d: %w", rec.Revision, err)
	}
	if bg := e.req.Env.Strategy.BlueGreen; bg != nil {
		if objs, err = rollout.BlueGreenLive(ctx, e.req.Clients, e.req.Namespace, *bg, objs); err != nil {
			return nil, fmt.Errorf("revision %d: %w", rec.Revision, err)
		}
	}
	return objs, nil
}

func (e *envGuard) passed(ctx context.Context, rec *release.Record, msg string) {
	e.g.o.Metrics.outcome(e.req.Env.Name, Passed)
	e.g.emit(ctx, e.event(Passed, rec.Revision, "revision %d: %s", rec.Revision, msg))
}

// watch runs the deploy's watch on rec's objects until its window ends,
// stopped early (with errReplaced or errBusy) when a newer release succeeds
// or a run takes the lock.
func (e *envGuard) watch(ctx context.Context, rec *release.Record, objs []*unstructured.Unstructured, until time.Time) (*watch.Failure, error) {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go e.follow(wctx, cancel, rec.Revision)
	left := until.Sub(e.g.o.Clock.Now())
	h := e.req.Health
	err := watch.Watch(wctx, e.req.Clients, objs, watch.Options{
		RestartLimit: h.RestartLimit, UnschedulableGrace: h.UnschedulableGrace.D(),
		Timeout: left, Verify: left, Clock: e.g.o.Clock,
	}, nil)
	var f *watch.Failure
	if errors.As(err, &f) {
		return f, nil
	}
	if err != nil && wctx.Err() != nil && context.Cause(wctx) != nil && ctx.Err() == nil {
		return nil, context.Cause(wctx)
	}
	return nil, err
}

// follow stops the watch of rev when a newer release succeeds or someone
// takes the lock.
func (e *envGuard) follow(ctx context.Context, stop context.CancelCauseFunc, rev int) {
	for e.g.sleep(ctx, e.g.o.Interval) == nil {
		if rec, err := e.store.Latest(ctx, release.Succeeded); err == nil && (rec == nil || rec.Revision != rev) {
			stop(errReplaced)
			return
		}
		if busy, err := e.busy(ctx); err == nil && busy {
			stop(errBusy)
			return
		}
	}
}
