package cli

import (
	"context"
	"os"
	"strings"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/guard"
	"github.com/kubectl-promote/kubectl-promote/pkg/notify"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// guardNotifier sends what the guard finds and does to each environment's
// webhooks (spec.notify), as a deploying run sends its own events: a
// failure detected, the release rolled back, the undo failed, a canary
// carried on to success. Events of
// an environment without webhooks, and the guard's other kinds, go
// nowhere but the log.
type guardNotifier struct {
	pipeline string
	senders  map[string]*notify.Sender // by environment
}

// openGuardNotify opens the notifications of every guarded environment.
// flush waits for what is still being delivered, at most each
// environment's notify.flushTimeout.
func (o *GuardOptions) openGuardNotify(ctx context.Context) (n guard.Notifier, flush func()) {
	gn := &guardNotifier{pipeline: o.pipeline.Metadata.Name, senders: map[string]*notify.Sender{}}
	var flushes []func()
	for _, req := range o.envs {
		cfg := o.pipeline.Notify(req.Env)
		if len(cfg.Webhooks) == 0 {
			continue
		}
		src := notify.Sources{Secrets: notify.ClusterSecrets(req.Clients.Typed), Getenv: os.Getenv, Namespace: req.Namespace}
		s := notify.Open(ctx, cfg, src, notify.Options{Warn: o.warnGuardNotify(req.Env.Name), Redact: diff.Known().String})
		gn.senders[req.Env.Name] = s
		timeout := cfg.FlushTimeout.D()
		flushes = append(flushes, func() {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
			defer cancel()
			s.Flush(fctx)
		})
	}
	return gn, func() { flushAll(flushes) }
}

// warnGuardNotify logs a notification's warning, masked: a notification
// that fails never stops the guard.
func (o *GuardOptions) warnGuardNotify(env string) func(string) {
	return func(line string) {
		o.log.Warn(diff.Known().String(line), "event", "notify", "environment", env)
	}
}

// Notify sends e to its environment's webhooks when it is one a person
// must hear of.
func (n *guardNotifier) Notify(ctx context.Context, e guard.Event) {
	s := n.senders[e.Environment]
	if s == nil {
		return
	}
	if ev, ok := guardEvent(n.pipeline, e); ok {
		s.Send(ctx, ev)
	}
}

// guardEvent is the notification of a guard event: Detected and NoUndo
// are a failed release, RolledBack and UndoFailed what the undo came to,
// Continued a canary the guard carried on to success.
func guardEvent(pipeline string, e guard.Event) (notify.Event, bool) {
	kinds := map[guard.Kind]struct {
		kind    notify.Kind
		outcome release.Status
	}{
		guard.Detected:   {notify.Failed, release.Failed},
		guard.NoUndo:     {notify.Failed, release.Failed},
		guard.RolledBack: {notify.RolledBack, release.RolledBack},
		guard.UndoFailed: {notify.UndoFailed, release.UndoFailed},
		guard.Continued:  {notify.Succeeded, release.Succeeded},
	}
	k, ok := kinds[e.Kind]
	if !ok {
		return notify.Event{}, false
	}
	ev := notify.Event{
		Kind: k.kind, Pipeline: pipeline, Environment: e.Environment, Namespace: e.Namespace,
		Revision: e.Revision, Outcome: string(k.outcome), Reason: guardReason(e),
		By: notify.ByGuard, Time: e.Time,
	}
	if e.Kind == guard.RolledBack {
		ev.RolledBackTo = e.Target
	}
	return ev, true
}

// guardReason says why, from the failure the watch found and the
// event's message.
func guardReason(e guard.Event) string {
	var parts []string
	if f := e.Failure; f != nil {
		parts = append(parts, strings.TrimSuffix(f.Object+": "+f.Reason+": "+f.Message, ": "))
	}
	if e.Message != "" && (e.Failure == nil || !strings.Contains(e.Message, e.Failure.Reason)) {
		parts = append(parts, e.Message)
	}
	return diff.Known().String(strings.Join(parts, "; "))
}
