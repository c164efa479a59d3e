package promote

import (
	"context"
	"sync"

	"github.com/kubectl-promote/kubectl-promote/pkg/notify"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// Notifier is told what happens to a release (notify.Sender). Send must
// return at once: a notification never slows a release down.
type Notifier interface {
	Send(ctx context.Context, e notify.Event)
}

// notify sends an event of kind about the run's release record.
func (d *deployment) notify(ctx context.Context, kind notify.Kind) {
	if d.Notify == nil || d.rec == nil {
		return
	}
	d.Notify.Send(ctx, notify.FromRecord(kind, d.rec, notify.ByCLI, d.Clock.Now()).WithHolder(d.Holder))
}

// notifyAbandoned tells how a run that lost its lock ended: failed, or
// its undo stopped midway (the record says interrupted either way).
func (d *deployment) notifyAbandoned(ctx context.Context, duringUndo bool) {
	if duringUndo {
		d.notify(ctx, notify.UndoFailed)
		return
	}
	d.notify(ctx, notify.Failed)
}

// notifyPauses is store, telling the notifier when the strategy saves a
// pause: a blue-green rollout held for its switch waits for approval,
// every other pause (a canary step, an inconclusive analysis) is paused.
func (d *deployment) notifyPauses(store rollout.StateStore) rollout.StateStore {
	if d.Notify == nil {
		return store
	}
	return &pauseNotifier{StateStore: store, d: d}
}

type pauseNotifier struct {
	rollout.StateStore
	d    *deployment
	mu   sync.Mutex
	last *release.State
}

func (p *pauseNotifier) SaveState(ctx context.Context, st *release.State, rv string) (string, error) {
	rv, err := p.StateStore.SaveState(ctx, st, rv)
	if err == nil && p.newPause(st) {
		p.d.notifyPause(ctx, st)
	}
	return rv, err
}

// newPause tells whether st starts a pause that was not saved before.
func (p *pauseNotifier) newPause(st *release.State) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	last := p.last
	c := *st
	p.last = &c
	return st.Paused && (last == nil || !last.Paused || last.Step != st.Step || last.PauseReason != st.PauseReason)
}

func (d *deployment) notifyPause(ctx context.Context, st *release.State) {
	if d.Notify == nil || d.rec == nil {
		return
	}
	kind, outcome := notify.Paused, notify.OutcomePaused
	if st.Strategy == release.StrategyBlueGreen && st.Step == 2 {
		kind, outcome = notify.WaitingApproval, notify.OutcomeWaiting
	}
	e := notify.FromRecord(kind, d.rec, notify.ByCLI, d.Clock.Now()).WithHolder(d.Holder)
	e.Outcome, e.Reason = outcome, st.PauseReason
	d.Notify.Send(ctx, e)
}

// notifyGate tells the notifier that the promotion waits for a person's
// approval (kind WaitingApproval) or is blocked by a gate (GateBlocked),
// before any release of the target exists.
func (p *Promotion) notifyGate(ctx context.Context, kind notify.Kind, up *release.Record, reason string) {
	req := &p.Request
	if req.Notify == nil || req.DryRun {
		return
	}
	e := notify.Event{
		Kind: kind, Pipeline: req.Pipeline, Environment: req.Env.Name, Namespace: req.Namespace,
		Strategy: req.Env.Strategy.Name(), Outcome: notify.OutcomeBlocked, Reason: reason,
		By: notify.ByCLI, Time: req.Clock.Now(),
	}
	if kind == notify.WaitingApproval {
		e.Outcome = notify.OutcomeWaiting
	}
	if up != nil {
		e.Artifacts, e.Source = up.Artifacts, &release.Source{Environment: up.Environment, Revision: up.Revision}
	}
	req.Notify.Send(ctx, e.WithHolder(req.Holder))
}
