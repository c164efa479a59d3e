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
	"github.com/kubectl-promote/kubectl-promote/pkg/helmimport"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/notify"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/hooks"
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
	// Hooks are the release's Helm hooks: pre-install or pre-upgrade
	// ones run before the apply, post-install or post-upgrade ones once
	// the release is healthy (see docs/hooks.md).
	Hooks []hooks.Hook
	// Rollback runs the pre-rollback and post-rollback Hooks instead:
	// the deploy of `undo`.
	Rollback bool
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
	// Held, when set, is the environment's lock that the caller already
	// holds (the guard reads the records under it before it undoes):
	// Deploy works and is fenced under it, takes no lock of its own and
	// leaves releasing it to the caller.
	Held *release.Lock
	// DryRun stops after the dry-run and diff: nothing changes.
	DryRun bool
	// Force takes over fields owned by other managers.
	Force bool
	// NoHandOff: this run is the guard's, so a canary's timed pause is
	// never handed off to a guard (it is waited out here).
	NoHandOff bool
	// CreateNamespace creates a missing namespace the render does not
	// hold (as Helm's --create-namespace); without it the run fails
	// before any change.
	CreateNamespace bool
	// HardStop, when done, abandons even the undo (a further signal, or
	// SIGQUIT).
	HardStop context.Context
	// Events receives progress; nil discards it.
	Events func(Event)
	// Notify is told when the release starts, pauses and ends; nil tells
	// no one.
	Notify Notifier
	Clock  clock.Clock
	// RecordTimeout is the time budget of the writes that finalise the
	// release record, apart from the rollout's and the undo's (a signal
	// right after a healthy rollout must not leave it progressing).
	RecordTimeout time.Duration
}

// DefaultRecordTimeout is the default Request.RecordTimeout.
const DefaultRecordTimeout = 10 * time.Second

// Event is one line of progress.
type Event struct {
	Time    time.Time
	Phase   string // namespace, lock, dry-run, apply, prune, watch, undo, done
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
	return newDeployment(r, clusterDeps(&r)).run(ctx)
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
	if r.RecordTimeout <= 0 {
		r.RecordTimeout = DefaultRecordTimeout
	}
}

// deployment is one run: a new release (Deploy) or one taken over (Control).
type deployment struct {
	Request
	deps
	result   Result
	rec      *release.Record
	strategy rollout.Strategy
	guard    *lockGuard
	sw       *rollout.Switch
	// helm is the Helm release the first apply takes over (see findHelm).
	helm *helmimport.Release
}

func newDeployment(r Request, d deps) *deployment {
	return &deployment{Request: r, deps: d}
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
	if err := rollout.RefuseOnDeleteStatefulSets(objs); err != nil {
		return nil, exitcode.With(exitcode.BadInput, err)
	}
	// Before the dry run, so that the diff shows what apply sends.
	d.Objects = rollout.LeaveReplicasToHPAs(objs)
	if d.DryRun {
		return d.dryRun(ctx)
	}
	// The lock and the records live in the namespace: it must exist first.
	if err := d.namespace(ctx, d.Objects); err != nil {
		return nil, err
	}
	unlock, err := d.hold(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	d.takenOver(ctx)
	ctx, cancel := d.guard.fence(ctx)
	defer cancel()
	if err := d.prepare(ctx); err != nil {
		return &d.result, d.beforeChange(err)
	}
	return &d.result, d.rollout(ctx)
}

// hold takes the lock and guards it until the returned func releases it.
func (d *deployment) hold(ctx context.Context) (func(), error) {
	d.emit("lock", "taking the lock of %s/%s", d.Namespace, d.Env.Name)
	lock, err := d.locker.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if h := lock.TookOverFrom(); h != nil {
		d.result.TookOverFrom = h
		d.emit("lock", "took over a stale lock held by %s", h)
	}
	d.guard = newLockGuard(ctx, lock, d.emit)
	return func() {
		rctx, cancel := d.recordContext(ctx)
		defer cancel()
		d.guard.release(rctx)
	}, nil
}

// beforeChange is the error of a run stopped before it changed anything:
// the lock's loss when that stopped it.
func (d *deployment) beforeChange(err error) error {
	if lost := d.guard.Err(); lost != nil {
		return exitcode.With(exitcode.Blocked, fmt.Errorf("%w; nothing was changed", lost))
	}
	return err
}

// takenOver marks the releases a stale lock's holder left progressing as
// interrupted: that run is gone, and this one replaces its work.
func (d *deployment) takenOver(ctx context.Context) {
	was := d.result.TookOverFrom
	if was == nil {
		return
	}
	recs, err := d.store.List(ctx)
	if err != nil {
		d.emit("lock", "warning: reading the releases the stale lock's holder left: %v", err)
		return
	}
	for _, rec := range recs {
		if rec.Status != release.Progressing {
			continue
		}
		rec.Status, rec.Finished = release.Interrupted, d.Clock.Now()
		rec.Reason = fmt.Sprintf("interrupted: the run of %s stopped renewing the lock; %s took the stale lock over at %s",
			was, d.Holder, d.Clock.Now().UTC().Format(time.RFC3339))
		if err := d.store.Update(ctx, rec); err != nil {
			d.emit("lock", "warning: recording revision %d as interrupted: %v", rec.Revision, err)
			continue
		}
		d.emit("lock", "revision %d, left progressing by %s, is recorded interrupted", rec.Revision, was)
	}
}

// prepare reads the previous release and dry-runs the whole set.
func (d *deployment) prepare(ctx context.Context) error {
	prev, err := d.store.Latest(ctx, release.Succeeded)
	if err != nil {
		return exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history: %w", err))
	}
	d.result.Previous = prev
	if prev == nil {
		if err := d.findHelm(ctx); err != nil {
			return err
		}
	}
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
	if prev == nil {
		if err := d.findHelm(ctx); err != nil {
			return nil, err
		}
	}
	cs, err := d.diff(ctx, prev)
	d.result.ChangeSet = cs
	if err == nil {
		d.announceHooks()
	}
	return &d.result, err
}

func (d *deployment) diff(ctx context.Context, prev *release.Record) (*diff.ChangeSet, error) {
	d.emit("dry-run", "server-side dry-run of %d objects", len(d.Objects))
	o := diff.DefaultOptions()
	o.Namespace = d.Namespace
	o.AllowedNamespaces = d.Env.AllowNamespaces
	o.Force = d.Force
	o.Owner = diff.Owner{Pipeline: d.Pipeline, Environment: d.Env.Name}
	// The objects went through Prepare in run. Objects whose managed
	// fields prove the apply a no-op are not dry-run: apply does not send
	// them either, so no right they would need can be missing.
	o.Prepared = true
	if prev != nil {
		o.Previous = prev.Inventory
	}
	cs, err := d.preflight(ctx, d.Objects, o)
	if err != nil {
		return nil, fmt.Errorf("dry-run: nothing was changed: %w", err)
	}
	d.emit("dry-run", "%s", cs.Summary())
	return cs, nil
}

// rollout records the new revision, applies, prunes and watches it, and
// undoes it on failure or interruption.
func (d *deployment) rollout(ctx context.Context) error {
	if err := d.takeOverHelm(ctx); err != nil {
		return d.beforeChange(err)
	}
	if err := d.createRecord(ctx); err != nil {
		return d.beforeChange(err)
	}
	d.notify(ctx, notify.Started)
	pre, post := d.hookEvents()
	if err := d.runHooks(ctx, pre, d.Hooks); err != nil {
		return d.preHooksFailed(ctx, err)
	}
	failure := d.applyAndWatch(ctx)
	if errors.Is(failure, rollout.ErrHandedOff) {
		return d.handedOff()
	}
	if failure == nil {
		failure = d.runHooks(ctx, post, d.Hooks)
	}
	if failure == nil {
		return d.succeed(ctx)
	}
	return d.fail(ctx, failure)
}

// handedOff ends a run whose rollout a running guard carries on: the
// record stays progressing (the guard finishes it, or undoes it), the
// lock is released, the exit code is 0.
func (d *deployment) handedOff() error {
	d.emit("done", "revision %d is handed to the guard, which finishes it (or undoes it); `kubectl promote status %s` follows it",
		d.rec.Revision, d.Env.Name)
	return nil
}

func (d *deployment) createRecord(ctx context.Context) error {
	manifest, err := rollout.EncodeManifest(d.Objects)
	if err != nil {
		return exitcode.With(exitcode.BadInput, err)
	}
	hookManifest, err := encodeHooks(d.Hooks)
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
		Manifest: manifest, Inventory: rollout.Inventory(d.Objects), Hooks: hookManifest,
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
	strategy, err := d.deps.strategy(d.Env)
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
		Health: d.Health, Force: d.Force, NoHandOff: d.NoHandOff, Store: d.notifyPauses(d.store), Watch: d.watch, Emit: d.emit,
		Analyze: d.analyze, Clock: d.Clock,
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
	return watchWith(ctx, d.Request, d.watcher, objs, timeout, verify)
}

// watchWith watches objs with w and r's thresholds, passing its progress
// on as r's events.
func watchWith(ctx context.Context, r Request, w watch.Watcher, objs []*unstructured.Unstructured, timeout, verify time.Duration) error {
	events := make(chan watch.Event, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range events {
			r.Events(Event{Time: e.Time, Phase: "watch", Message: e.Message, Watch: &e})
		}
	}()
	err := w.Watch(ctx, r.Clients, objs, watch.Options{
		RestartLimit: r.Health.RestartLimit, UnschedulableGrace: r.Health.UnschedulableGrace.D(),
		Timeout: timeout, Verify: verify, Clock: r.Clock,
	}, events)
	close(events)
	<-done
	return err
}
