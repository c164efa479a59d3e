package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/clock"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// Request is one release of one environment.
type Request struct {
	Pipeline  string
	Env       *pipeline.Environment
	Namespace string
	Clients   *kube.Clients
	// Objects are the rendered objects to deploy.
	Objects []*unstructured.Unstructured
	// Artifacts, Source, Gates and Approver go into the record as they are.
	Artifacts []release.Artifact
	Source    *release.Source
	Gates     []release.GateResult
	Approver  string
	// Health holds the effective thresholds (defaults already resolved).
	Health pipeline.Health
	// History is how many records to keep.
	History int
	Holder  release.Holder
	Lock    release.LockOptions
	// DryRun stops after the dry-run and diff: nothing changes.
	DryRun bool
	// Force takes over fields owned by other managers.
	Force bool
	// HardStop, when done, abandons even the undo (a second signal).
	HardStop context.Context
	// Events receives progress; nil discards it.
	Events func(Event)
	Clock  clock.Clock
}

// Event is one line of progress.
type Event struct {
	Time    time.Time
	Phase   string // lock, dry-run, apply, prune, watch, undo, done
	Message string
	Watch   *watch.Event
}

// Result is what Deploy did.
type Result struct {
	Record    *release.Record
	ChangeSet *diff.ChangeSet
	// Previous is the release the environment ran before (nil for the first).
	Previous *release.Record
	// TookOverFrom is set when a stale lock was taken over.
	TookOverFrom *release.Holder
}

// Deploy takes the lock, dry-runs the whole set, applies it, watches it and
// undoes it on failure. Its error carries the documented exit code.
func Deploy(ctx context.Context, r Request) (*Result, error) {
	r.defaults()
	d := &deployment{Request: r, store: release.NewStore(r.Clients.Typed, r.Namespace, r.Pipeline, r.Env.Name)}
	return d.run(ctx)
}

func (r *Request) defaults() {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if r.HardStop == nil {
		r.HardStop = context.Background()
	}
	if r.Events == nil {
		r.Events = func(Event) {}
	}
	if r.History <= 0 {
		r.History = 10
	}
}

type deployment struct {
	Request
	store    *release.Store
	result   Result
	rec      *release.Record
	strategy rollout.Strategy
	guard    *lockGuard
	sw       *rollout.Switch
}

func (d *deployment) emit(phase, format string, args ...any) {
	d.Events(Event{Time: d.Clock.Now(), Phase: phase, Message: fmt.Sprintf(format, args...)})
}

func (d *deployment) owner() map[string]string {
	return map[string]string{kube.LabelPipeline: d.Pipeline, kube.LabelEnvironment: d.Env.Name}
}

func (d *deployment) run(ctx context.Context) (*Result, error) {
	if len(d.Objects) == 0 {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("environment %s rendered no objects: refusing to deploy an empty release (it would prune everything)", d.Env.Name))
	}
	objs, err := diff.Prepare(d.Objects, diff.Owner{Pipeline: d.Pipeline, Environment: d.Env.Name})
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, err)
	}
	d.Objects = objs
	if d.DryRun {
		return d.dryRun(ctx)
	}
	lock, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	g := &lockGuard{d: d, lock: lock}
	defer g.release(ctx)
	if err := d.prepare(ctx); err != nil {
		return &d.result, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.guard = g
	go g.keep(ctx, cancel)
	return &d.result, d.rollout(ctx)
}

func (d *deployment) acquire(ctx context.Context) (*release.Lock, error) {
	d.emit("lock", "taking the lock of %s/%s", d.Namespace, d.Env.Name)
	lock, err := release.Acquire(ctx, d.Clients.Typed, d.Namespace, d.Pipeline, d.Env.Name, d.Holder, d.Lock)
	if err != nil {
		return nil, err
	}
	if h := lock.TookOverFrom(); h != nil {
		d.result.TookOverFrom = h
		d.emit("lock", "took over a stale lock held by %s", h)
	}
	return lock, nil
}

// prepare reads the previous release and dry-runs the whole set.
func (d *deployment) prepare(ctx context.Context) error {
	prev, err := d.store.Latest(ctx, release.Succeeded)
	if err != nil {
		return exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history: %w", err))
	}
	d.result.Previous = prev
	cs, err := d.diff(ctx, prev)
	if err != nil {
		return err
	}
	d.result.ChangeSet = cs
	return nil
}

func (d *deployment) dryRun(ctx context.Context) (*Result, error) {
	prev, err := d.store.Latest(ctx, release.Succeeded)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history: %w", err))
	}
	d.result.Previous = prev
	cs, err := d.diff(ctx, prev)
	d.result.ChangeSet = cs
	return &d.result, err
}

func (d *deployment) diff(ctx context.Context, prev *release.Record) (*diff.ChangeSet, error) {
	d.emit("dry-run", "server-side dry-run of %d objects", len(d.Objects))
	o := diff.DefaultOptions()
	o.Namespace = d.Namespace
	o.AllowedNamespaces = d.Env.AllowNamespaces
	o.Force = d.Force
	o.Owner = diff.Owner{Pipeline: d.Pipeline, Environment: d.Env.Name}
	// A strict preflight: every object goes to the server, so a missing
	// right shows before anything changes.
	o.AlwaysDryRun = true
	if prev != nil {
		o.Previous = prev.Inventory
	}
	cs, err := diff.Diff(ctx, d.Clients, d.Objects, o)
	if err != nil {
		if exitcode.Code(err) == 1 {
			err = exitcode.With(exitcode.Cluster, err)
		}
		return nil, fmt.Errorf("dry-run: nothing was changed: %w", err)
	}
	d.emit("dry-run", "%s", cs.Summary())
	return cs, nil
}

// rollout records the new revision, applies, prunes and watches it, and
// undoes it on failure or interruption.
func (d *deployment) rollout(ctx context.Context) error {
	if err := d.createRecord(ctx); err != nil {
		return err
	}
	failure := d.applyAndWatch(ctx)
	if failure == nil {
		return d.succeed(ctx)
	}
	return d.fail(ctx, failure)
}

func (d *deployment) createRecord(ctx context.Context) error {
	manifest, err := rollout.EncodeManifest(d.Objects)
	if err != nil {
		return exitcode.With(exitcode.BadInput, err)
	}
	rev, err := d.store.Next(ctx)
	if err != nil {
		return exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history: %w", err))
	}
	d.rec = &release.Record{
		Pipeline: d.Pipeline, Environment: d.Env.Name, Namespace: d.Namespace, Revision: rev,
		Status: release.Progressing, Artifacts: d.Artifacts, Source: d.Source, Strategy: d.Env.Strategy.Name(),
		Manifest: manifest, Inventory: rollout.Inventory(d.Objects),
		User: d.Holder.User, Host: d.Holder.Host, CIJobURL: d.Holder.CIJobURL, GitCommit: gitCommit(),
		Approver: d.Approver, Gates: d.Gates, Started: d.Clock.Now(),
	}
	if d.result.ChangeSet != nil {
		d.rec.DiffSummary = d.result.ChangeSet.Summary()
	}
	d.result.Record = d.rec
	if err := d.store.Create(ctx, d.rec); err != nil {
		return exitcode.With(exitcode.Cluster, fmt.Errorf("recording revision %d: nothing was changed: %w", rev, err))
	}
	return nil
}

// applyAndWatch returns nil when the release is healthy through its verify
// window, or the reason it is not.
func (d *deployment) applyAndWatch(ctx context.Context) error {
	strategy, err := rollout.For(d.Env)
	if err != nil {
		return err
	}
	d.strategy = strategy
	d.sw = d.newSwitch()
	return strategy.Rollout(ctx, d.sw)
}

func (d *deployment) newSwitch() *rollout.Switch {
	sw := &rollout.Switch{
		Clients: d.Clients, Namespace: d.Namespace, Env: d.Env, Objects: d.Objects,
		Previous: d.result.Previous, Revision: d.rec.Revision, Owner: d.owner(),
		Health: d.Health, Force: d.Force, Store: d.store, Watch: d.watch, Emit: d.emit,
		Analyze: d.analyze,
	}
	if cs := d.result.ChangeSet; cs != nil {
		for _, c := range cs.Changes {
			if c.Action == diff.Created {
				sw.Created = append(sw.Created, c.Ref)
			}
		}
	}
	return sw
}

func (d *deployment) watch(ctx context.Context, objs []*unstructured.Unstructured, timeout, verify time.Duration) error {
	events := make(chan watch.Event, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range events {
			d.Events(Event{Time: e.Time, Phase: "watch", Message: e.Message, Watch: &e})
		}
	}()
	err := watch.Watch(ctx, d.Clients, objs, watch.Options{
		RestartLimit: d.Health.RestartLimit, UnschedulableGrace: d.Health.UnschedulableGrace.D(),
		Timeout: timeout, Verify: verify, Clock: d.Clock,
	}, events)
	close(events)
	<-done
	return err
}

func (d *deployment) succeed(ctx context.Context) error {
	now := d.Clock.Now()
	d.rec.Status, d.rec.Finished, d.rec.HealthySince = release.Succeeded, now, now
	if err := d.store.Update(ctx, d.rec); err != nil {
		return exitcode.With(exitcode.Cluster, fmt.Errorf("revision %d is healthy but could not be recorded: %w", d.rec.Revision, err))
	}
	d.emit("done", "revision %d succeeded", d.rec.Revision)
	if err := d.store.Prune(ctx, d.History); err != nil {
		d.emit("done", "warning: trimming release history: %v", err)
	}
	return nil
}

// fail records the failure, undoes it with its own time budget and reports
// both errors when the undo fails too.
func (d *deployment) fail(ctx context.Context, failure error) error {
	if ctx.Err() != nil {
		failure = fmt.Errorf("interrupted: %w", failure)
	}
	d.rec.Status, d.rec.Reason = release.Failed, failure.Error()
	var f *watch.Failure
	if errors.As(failure, &f) {
		d.rec.Failure = &release.Failure{Object: f.Object, Container: f.Container, Reason: f.Reason, Message: f.Message}
	}
	if d.lockLost() {
		return d.abandon(failure)
	}
	d.emit("undo", "revision %d failed: %v", d.rec.Revision, failure)
	uctx, cancel := context.WithTimeout(d.HardStop, d.Health.UndoTimeout.D())
	defer cancel()
	d.updateRecord(uctx)
	undoErr := d.undo(uctx)
	return d.finish(failure, undoErr)
}

func (d *deployment) finish(failure, undoErr error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(d.HardStop), 10*time.Second)
	defer cancel()
	d.rec.Finished = d.Clock.Now()
	switch {
	case undoErr == nil:
		d.rec.Status = release.RolledBack
		d.updateRecord(rctx)
		return exitcode.With(exitcode.RolledBack, fmt.Errorf("revision %d failed and was undone: %w", d.rec.Revision, failure))
	case d.HardStop.Err() != nil:
		d.rec.Status, d.rec.Reason = release.Interrupted, d.rec.Reason+"; undo interrupted"
		d.updateRecord(rctx)
		return exitcode.With(exitcode.UndoFailed, fmt.Errorf("revision %d failed (%v) and the undo was interrupted: the environment needs a person", d.rec.Revision, failure))
	default:
		d.rec.Status, d.rec.Reason = release.UndoFailed, d.rec.Reason+"; undo: "+undoErr.Error()
		d.updateRecord(rctx)
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
	if err := d.strategy.Undo(ctx, d.sw); err != nil {
		return err
	}
	if d.result.Previous != nil {
		d.rec.RolledBackTo = d.result.Previous.Revision
	}
	return nil
}

func (d *deployment) lockLost() bool {
	return d.guard != nil && d.guard.taken.Load()
}

// abandon stops without undoing: the lock was broken or taken over, so
// someone else may be changing the environment now and an undo would fight
// them.
func (d *deployment) abandon(failure error) error {
	why := fmt.Errorf("lost the lock to %s: stopped without undoing, they may be changing %s now", d.guard.by(), d.Env.Name)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(d.HardStop), 10*time.Second)
	defer cancel()
	d.rec.Status, d.rec.Reason, d.rec.Finished = release.Interrupted, why.Error(), d.Clock.Now()
	d.updateRecord(rctx)
	return exitcode.With(exitcode.UndoFailed, fmt.Errorf("revision %d: %w (%v)", d.rec.Revision, why, failure))
}
