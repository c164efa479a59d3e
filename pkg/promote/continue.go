package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/utils/clock"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// Action is what `resume` or `abort` asks of a canary or blue-green rollout.
type Action string

// The actions of Control.
const (
	// Resume ends the current pause (or, taken over, continues from the
	// recorded step).
	Resume Action = Action(release.RequestResume)
	// Abort sends all traffic back to the stable side and undoes the release.
	Abort Action = Action(release.RequestAbort)
	// Continue takes over a rollout no process drives (a canary handed to
	// the guard) and carries it on without ending its pause; with a
	// driver alive it does nothing.
	Continue Action = "continue"
)

// ControlRequest is one `resume ENV` or `abort ENV`.
type ControlRequest struct {
	Pipeline  string
	Env       *pipeline.Environment
	Namespace string
	Clients   *kube.Clients
	Action    Action
	// Health, Holder and Lock are used when the rollout is taken over.
	Health pipeline.Health
	Holder release.Holder
	Lock   release.LockOptions
	// Wait bounds how long the process driving the rollout has to act on
	// the request (default 30s).
	Wait time.Duration
	// Poll is how often the state is read while waiting (default 200ms).
	Poll     time.Duration
	HardStop context.Context
	Events   func(Event)
	// Notify is told how a rollout taken over ends (nil: no one is).
	Notify Notifier
	// NoHandOff: the process taking over is the guard (see Request).
	NoHandOff bool
	Clock     clock.Clock
}

// ControlResult says how a request was carried out.
type ControlResult struct {
	// TookOver is true when no process was driving the rollout any more
	// and this one finished (or undid) it itself.
	TookOver bool
	// State is the rollout state the request was made on.
	State *release.State
	// Driver is who was driving the rollout when asked.
	Driver *release.Holder
	// Result is the outcome of a takeover, or of an abort done by the driver.
	Result *Result
}

func (r *ControlRequest) defaults() {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.Wait <= 0 {
		r.Wait = 30 * time.Second
	}
	if r.Poll <= 0 {
		r.Poll = 200 * time.Millisecond
	}
	if r.HardStop == nil {
		r.HardStop = context.WithoutCancel(context.Background())
	}
	if r.Events == nil {
		r.Events = func(Event) {}
	}
}

// Control resumes or aborts the canary or blue-green rollout of an
// environment. While a live process drives it (it holds the lock), the
// request goes into the rollout state and Control waits until that process
// acts on it. When none does (the lock is free or expired: the process was
// killed), Control takes the lock and carries the rollout through itself
// from the release record: nothing is rendered. An abort that ends in the
// previous release running is success; an undo that fails is exit code 5.
func Control(ctx context.Context, r ControlRequest) (*ControlResult, error) {
	r.defaults()
	d := r.deployment()
	store := d.store
	st, _, err := store.State(ctx)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, err)
	}
	if st == nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("no canary or blue-green rollout of %s is in progress (see `kubectl promote status %s`)", r.Env.Name, r.Env.Name))
	}
	res := &ControlResult{State: st}
	driver, err := r.driver(ctx)
	if err != nil {
		return res, err
	}
	if driver == nil {
		return res, r.takeOver(ctx, d, st, res)
	}
	res.Driver = driver
	if r.Action == Continue {
		return res, nil
	}
	return res, r.ask(ctx, store, res)
}

// driver returns who drives the rollout: the lock's holder while its lease
// runs; nil when the lock is free or expired.
func (r *ControlRequest) driver(ctx context.Context) (*release.Holder, error) {
	h, exp, err := release.CurrentHolder(ctx, r.Clients.Typed, r.Namespace, r.Pipeline, r.Env.Name)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, err)
	}
	if h == nil || exp == nil || !r.Clock.Now().Before(*exp) {
		return nil, nil
	}
	return h, nil
}

// errNotPaused refuses a resume of a rollout that is not paused.
func errNotPaused(env string, st *release.State) error {
	return exitcode.With(exitcode.BadInput, fmt.Errorf("the %s rollout of %s is not paused (step %d/%d, %s): nothing to resume",
		st.Strategy, env, st.Step, st.Steps, st.Phase))
}

// ask writes the request and waits until the driver acted on it, taking
// over if the driver goes away meanwhile.
func (r *ControlRequest) ask(ctx context.Context, store Store, res *ControlResult) error {
	check := func(st *release.State) error {
		if r.Action == Resume && !st.Paused {
			return errNotPaused(r.Env.Name, st)
		}
		return nil
	}
	r.emit("request", "asking %s, which drives the rollout, to %s", res.Driver, r.Action)
	st, err := rollout.Request(ctx, store, release.RequestKind(r.Action), r.Holder.String(), r.Clock.Now(), check)
	if err != nil {
		if exitcode.Code(err) == exitcode.BadInput {
			return err
		}
		return exitcode.With(exitcode.Cluster, err)
	}
	res.State = st
	return r.await(ctx, store, st, res)
}

// await polls the state until the request is handled: a resume once the
// driver cleared it, an abort once the release record is final.
func (r *ControlRequest) await(ctx context.Context, store Store, asked *release.State, res *ControlResult) error {
	at := requestAt(asked)
	deadline := r.Clock.Now().Add(r.Wait)
	if r.Action == Abort {
		deadline = deadline.Add(r.Health.UndoTimeout.D())
	}
	for {
		done, err := r.handled(ctx, store, asked, at, res)
		if done || err != nil {
			return err
		}
		if d, _ := r.driver(ctx); d == nil {
			r.emit("request", "the process driving the rollout went away: taking over")
			st, _, err := store.State(ctx)
			if err != nil || st == nil {
				return exitcode.With(exitcode.Cluster, fmt.Errorf("reading the rollout state: %v", err))
			}
			return r.takeOver(ctx, r.deployment(), st, res)
		}
		if !r.Clock.Now().Before(deadline) {
			return exitcode.With(exitcode.Cluster, fmt.Errorf("%s, which drives the rollout of %s, did not act on the %s request within %s; the request stays in the rollout state",
				res.Driver, r.Env.Name, r.Action, r.Wait))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.Clock.After(r.Poll):
		}
	}
}

// handled tells whether the driver acted on the request made at at.
func (r *ControlRequest) handled(ctx context.Context, store Store, asked *release.State, at time.Time, res *ControlResult) (bool, error) {
	st, _, err := store.State(ctx)
	if err != nil {
		return false, nil // a blip: look again
	}
	if r.Action == Resume {
		return st == nil || !requestAt(st).Equal(at), nil
	}
	rec, err := store.Get(ctx, asked.CanaryRevision)
	if err != nil {
		return false, nil
	}
	res.Result = &Result{Record: rec}
	switch rec.Status {
	case release.RolledBack:
		return true, nil
	case release.UndoFailed, release.Interrupted:
		return true, exitcode.With(exitcode.UndoFailed, fmt.Errorf("revision %d was aborted but the undo failed: %s", rec.Revision, rec.Reason))
	case release.Succeeded:
		return true, exitcode.With(exitcode.BadInput, fmt.Errorf("revision %d completed before the abort reached it; use `kubectl promote undo %s`", rec.Revision, r.Env.Name))
	}
	return false, nil
}

func (r *ControlRequest) emit(phase, format string, args ...any) {
	r.Events(Event{Time: r.Clock.Now(), Phase: phase, Message: fmt.Sprintf(format, args...)})
}

// requestAt tells the request in st apart: when it was made (zero: none).
func requestAt(st *release.State) time.Time {
	if st == nil || st.Request == nil {
		return time.Time{}
	}
	return st.Request.At
}

// deployment is the run that takes the rollout over, on the cluster.
func (r *ControlRequest) deployment() *deployment {
	req := Request{
		Pipeline: r.Pipeline, Env: r.Env, Namespace: r.Namespace, Clients: r.Clients, Health: r.Health,
		Holder: r.Holder, Lock: r.Lock, HardStop: r.HardStop, Events: r.Events, Notify: r.Notify, Clock: r.Clock,
		NoHandOff: r.NoHandOff,
	}
	req.defaults()
	return newDeployment(req, clusterDeps(&req))
}

// takeOver takes the lock and finishes (Resume) or undoes (Abort) the
// rollout recorded in st, from its release record. It holds the lock with
// a guard like any deploy: losing it stops the run at once.
func (r *ControlRequest) takeOver(ctx context.Context, d *deployment, st *release.State, res *ControlResult) error {
	res.TookOver = true
	unlock, err := d.hold(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	ctx, cancel := d.guard.fence(ctx)
	defer cancel()
	if err := d.load(ctx, st); err != nil {
		return d.beforeChange(err)
	}
	res.Result = &d.result
	if r.Action == Abort {
		return r.abortTaken(ctx, d)
	}
	if st.Paused && r.Action != Continue {
		// The pause the dead process was holding ends with this resume.
		if _, err := rollout.Request(ctx, d.store, release.RequestResume, r.Holder.String(), r.Clock.Now(), nil); err != nil {
			return d.beforeChange(exitcode.With(exitcode.Cluster, err))
		}
	}
	d.emit("resume", "continuing the %s rollout of revision %d", st.Strategy, d.rec.Revision)
	failure := d.strategy.Rollout(ctx, d.sw)
	if failure == nil {
		_, post := d.hookEvents()
		failure = d.runHooks(ctx, post, d.Hooks)
	}
	if failure != nil {
		return d.fail(ctx, failure)
	}
	return d.succeed(ctx)
}

// abortTaken undoes the taken-over release; its rolling back is success.
func (r *ControlRequest) abortTaken(ctx context.Context, d *deployment) error {
	err := d.fail(ctx, &rollout.AbortedError{By: r.Holder.String()})
	if exitcode.Code(err) == exitcode.RolledBack {
		return nil
	}
	return err
}

// load reads the release record of the rollout in st and the release it
// replaces, and prepares the strategy to continue it.
func (d *deployment) load(ctx context.Context, st *release.State) error {
	if name := d.Env.Strategy.Name(); name != st.Strategy {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("the rollout in progress is %s but promote.yaml now gives %s the %s strategy; put it back to finish or abort the rollout",
			st.Strategy, d.Env.Name, name))
	}
	rec, err := d.store.Get(ctx, st.CanaryRevision)
	if err != nil {
		return exitcode.With(exitcode.Cluster, err)
	}
	if rec.Status == release.Succeeded || rec.Status == release.RolledBack {
		_ = d.store.ClearState(ctx)
		return exitcode.With(exitcode.BadInput, fmt.Errorf("revision %d is already %s: nothing to continue (the leftover rollout state was cleared)", rec.Revision, rec.Status))
	}
	objs, err := rollout.DecodeManifest(rec.Manifest)
	if err != nil {
		return exitcode.With(exitcode.Cluster, err)
	}
	hs, err := RecordHooks(rec)
	if err != nil {
		return exitcode.With(exitcode.Cluster, err)
	}
	d.rec, d.Objects, d.Hooks, d.result.Record = rec, objs, hs, rec
	if st.StableRevision > 0 {
		prev, err := d.store.Get(ctx, st.StableRevision)
		if err != nil && !errors.Is(err, release.ErrNotFound) {
			return exitcode.With(exitcode.Cluster, err)
		}
		d.result.Previous = prev
	}
	strategy, err := d.deps.strategy(d.Env)
	if err != nil {
		return exitcode.With(exitcode.BadInput, err)
	}
	d.strategy, d.sw = strategy, d.newSwitch()
	return nil
}
