package hooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/clock"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// Defaults of Runner.
const (
	DefaultTimeout = 5 * time.Minute
	DefaultPoll    = 500 * time.Millisecond
)

// WatchFunc waits for objs to be healthy through verify, failing fast on
// their pods (the deploy's watch; see package watch).
type WatchFunc func(ctx context.Context, objs []*unstructured.Unstructured, timeout, verify time.Duration) error

// Runner runs hooks on one cluster.
type Runner struct {
	Clients *kube.Clients
	// Owner labels every hook object like the release's own objects.
	Owner diff.Owner
	// Force takes over fields other managers own.
	Force bool
	// Watch waits for a hook that is neither a Job nor a Pod to be ready.
	Watch WatchFunc
	// Pod are the fail-fast thresholds of a Pod hook's containers.
	Pod watch.Options
	// Timeout bounds each hook: its deletion, apply and wait (default
	// DefaultTimeout), as Helm's --timeout does.
	Timeout time.Duration
	// Poll is how often a Pod hook and a deletion are looked at (default
	// DefaultPoll).
	Poll time.Duration
	// Emit receives progress; nil discards it.
	Emit  func(phase, format string, args ...any)
	Clock clock.PassiveClock
}

// Failed is the error of the hook that failed an event.
type Failed struct {
	Event string
	Hook  string
	Err   error
}

func (f *Failed) Error() string { return fmt.Sprintf("%s hook %s failed: %v", f.Event, f.Hook, f.Err) }

// Unwrap returns the hook's failure (a *watch.Failure when its pod failed).
func (f *Failed) Unwrap() error { return f.Err }

// Run runs the hooks of event among all, in order, and stops at the first
// that fails: the runs so far (the failed one last) and a *Failed.
func (r *Runner) Run(ctx context.Context, event string, all []Hook) ([]release.HookRun, error) {
	r.defaults()
	var runs []release.HookRun
	for _, h := range For(all, event) {
		run, err := r.runOne(ctx, event, h)
		runs = append(runs, run)
		if err != nil {
			return runs, &Failed{Event: event, Hook: h.Ref(), Err: err}
		}
	}
	return runs, nil
}

func (r *Runner) defaults() {
	if r.Timeout <= 0 {
		r.Timeout = DefaultTimeout
	}
	if r.Poll <= 0 {
		r.Poll = DefaultPoll
	}
	if r.Emit == nil {
		r.Emit = func(string, string, ...any) {}
	}
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
}

func (r *Runner) runOne(ctx context.Context, event string, h Hook) (release.HookRun, error) {
	run := release.HookRun{Hook: h.Ref(), Event: event, Started: r.Clock.Now()}
	r.Emit("hook", "%s hook %s: running", event, run.Hook)
	err := r.execute(ctx, h)
	run.Finished = r.Clock.Now()
	took := run.Finished.Sub(run.Started).Round(100 * time.Millisecond)
	if err != nil {
		run.Outcome, run.Reason = release.HookFailed, err.Error()
		r.Emit("hook", "%s hook %s failed after %s: %v", event, run.Hook, took, err)
		return run, err
	}
	run.Outcome = release.HookSucceeded
	r.Emit("hook", "%s hook %s succeeded in %s", event, run.Hook, took)
	return run, nil
}

// execute deletes a previous copy (before-hook-creation), applies the hook,
// waits for it and deletes it by its outcome's policy.
func (r *Runner) execute(ctx context.Context, h Hook) error {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	objs, err := diff.Prepare([]*unstructured.Unstructured{h.Object}, r.Owner)
	if err != nil {
		return err
	}
	obj := objs[0]
	m := diff.NewManager(r.Clients, diff.ApplyOptions{FieldManager: kube.FieldManager, Force: r.Force})
	res, err := m.Resource(obj)
	if err != nil {
		return err
	}
	if h.policy(BeforeHookCreation) {
		if err := r.deleteAndWait(ctx, m, res); err != nil {
			return err
		}
	}
	if _, err := m.Apply(ctx, obj); err != nil {
		return err
	}
	failure := r.wait(ctx, obj)
	if (failure == nil && h.policy(HookSucceeded)) || (failure != nil && h.policy(HookFailed)) {
		// A hook that failed is deleted on a budget of its own: its
		// timeout may be what failed it.
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), r.Timeout)
		defer dcancel()
		if err := r.deleteAndWait(dctx, m, res); err != nil {
			return errors.Join(failure, err)
		}
	}
	return failure
}

// wait waits for obj: a Job until it completed and a Pod until it
// succeeded, both failing fast on their pods as the deploy watch does;
// anything else until the watch finds it ready. (The watch itself counts
// a Job that runs as Current, as kstatus does: right for a release's
// Jobs, too early for a hook that must finish before the apply.)
func (r *Runner) wait(ctx context.Context, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	switch {
	case gvk.Group == "" && gvk.Kind == "Pod":
		return r.poll(ctx, "Pod/"+obj.GetNamespace()+"/"+obj.GetName(), "succeeded", r.podDone(obj.GetNamespace(), obj.GetName()))
	case gvk.Group == "batch" && gvk.Kind == "Job":
		return r.poll(ctx, "Job/"+obj.GetNamespace()+"/"+obj.GetName(), "complete", r.jobDone(obj.GetNamespace(), obj.GetName()))
	}
	return r.Watch(ctx, []*unstructured.Unstructured{obj}, r.Timeout, -1)
}
