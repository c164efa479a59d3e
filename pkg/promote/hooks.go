package promote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/hooks"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// Hooks are the Helm hooks of a render, as a deploy runs them.
func Hooks(rendered []render.Hook) []hooks.Hook {
	out := make([]hooks.Hook, len(rendered))
	for i, h := range rendered {
		out[i] = hooks.Hook{Object: h.Object, Events: h.Events, Weight: h.Weight, DeletePolicies: h.DeletePolicies}
	}
	return out
}

// RecordHooks are the Helm hooks a release record keeps.
func RecordHooks(rec *release.Record) ([]hooks.Hook, error) {
	if rec == nil || rec.Hooks == "" {
		return nil, nil
	}
	objs, err := rollout.DecodeManifest(rec.Hooks)
	if err != nil {
		return nil, fmt.Errorf("the hooks of revision %d: %w", rec.Revision, err)
	}
	return Hooks(render.ParseHooks(objs)), nil
}

// encodeHooks is the manifest of hs for the record.
func encodeHooks(hs []hooks.Hook) (string, error) {
	objs := make([]*unstructured.Unstructured, len(hs))
	for i, h := range hs {
		objs[i] = h.Object
	}
	return rollout.EncodeManifest(objs)
}

// hookEvents are the events run before and after this deploy's apply: a
// first release installs, a later one upgrades, `undo` rolls back.
func (d *deployment) hookEvents() (pre, post string) {
	switch {
	case d.Rollback:
		return hooks.PreRollback, hooks.PostRollback
	case d.result.Previous == nil:
		return hooks.PreInstall, hooks.PostInstall
	}
	return hooks.PreUpgrade, hooks.PostUpgrade
}

// announceHooks names the hooks a run would run, for --dry-run.
func (d *deployment) announceHooks() {
	pre, post := d.hookEvents()
	for _, event := range []string{pre, post} {
		var names []string
		for _, h := range hooks.For(d.Hooks, event) {
			names = append(names, h.Ref())
		}
		if len(names) > 0 {
			d.emit("hook", "would run the %s hooks %s", event, strings.Join(names, ", "))
		}
	}
}

// runHooks runs the hooks of event among hs and records each run.
func (d *deployment) runHooks(ctx context.Context, event string, hs []hooks.Hook) error {
	if len(hooks.For(hs, event)) == 0 {
		return nil
	}
	r := HookRunner(d.Request)
	r.Watch = d.watch
	runs, err := r.Run(ctx, event, hs)
	d.rec.HookRuns = append(d.rec.HookRuns, runs...)
	return err
}

// HookRunner runs r's hooks with its thresholds: each hook gets the
// rollout's timeout, and the deploy watch's fail-fast rules.
func HookRunner(r Request) *hooks.Runner {
	o := watch.Options{RestartLimit: r.Health.RestartLimit, UnschedulableGrace: r.Health.UnschedulableGrace.D()}
	return &hooks.Runner{
		Clients: r.Clients, Owner: diff.Owner{Pipeline: r.Pipeline, Environment: r.Env.Name}, Force: r.Force,
		Watch: func(ctx context.Context, objs []*unstructured.Unstructured, timeout, verify time.Duration) error {
			return watchWith(ctx, r, watch.Informers{}, objs, timeout, verify)
		},
		Pod: o, Timeout: r.Health.Timeout.D(), Clock: r.Clock,
		Emit: func(phase, format string, args ...any) { r.emitf(phase, format, args...) },
	}
}

// preHooksFailed ends a run whose pre-install or pre-upgrade hook failed:
// nothing but the hooks ran, so there is nothing to undo; the environment
// runs what it ran before (exit 4).
func (d *deployment) preHooksFailed(ctx context.Context, err error) error {
	if d.guard.Err() != nil {
		return d.abandon(ctx, err, "")
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("interrupted: %w", err)
	}
	rctx, cancel := d.recordContext(ctx)
	defer cancel()
	d.rec.Status, d.rec.Reason, d.rec.Finished = release.Failed, err.Error()+"; nothing else was changed", d.Clock.Now()
	var f *watch.Failure
	if errors.As(err, &f) {
		d.rec.Failure = &release.Failure{Object: f.Object, Container: f.Container, Reason: f.Reason, Message: f.Message, Detected: f.Observed}
	}
	d.updateRecord(rctx)
	return exitcode.With(exitcode.RolledBack, fmt.Errorf("revision %d: %w; nothing else was changed", d.rec.Revision, err))
}
