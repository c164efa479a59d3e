package promote

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/notify"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// notified records the events a run sends.
type notified struct {
	mu     sync.Mutex
	events []notify.Event
}

func (n *notified) Send(_ context.Context, e notify.Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, e)
}

func (n *notified) kinds() []notify.Kind {
	n.mu.Lock()
	defer n.mu.Unlock()
	var k []notify.Kind
	for _, e := range n.events {
		k = append(k, e.Kind)
	}
	return k
}

// pause saves a paused rollout state twice (the second save must not be
// a second event), then resumes.
func pause(r *run, strategy string, step int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		st := &release.State{Strategy: strategy, Step: step, Paused: true, PauseReason: "waiting for `kubectl promote resume dev`"}
		for range 2 {
			if _, err := r.strategy.sw.Store.SaveState(ctx, st, ""); err != nil {
				return err
			}
		}
		st.Paused = false
		_, err := r.strategy.sw.Store.SaveState(ctx, st, "")
		return err
	}
}

// TestDeployNotifies: the events of each way a deploy ends, in order.
func TestDeployNotifies(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *run)
		want  []notify.Kind
	}{
		{"healthy", func(*run) {}, []notify.Kind{notify.Started, notify.Succeeded}},
		{"unhealthy, undone", func(r *run) {
			r.strategy.rollout = func(context.Context) error { return errUnhealthy }
		}, []notify.Kind{notify.Started, notify.Failed, notify.RolledBack}},
		{"the undo fails too", func(r *run) {
			r.strategy.rollout = func(context.Context) error { return errUnhealthy }
			r.strategy.undo = func(context.Context) error { return errUnhealthy }
		}, []notify.Kind{notify.Started, notify.Failed, notify.UndoFailed}},
		{"lock lost during the rollout", func(r *run) {
			r.strategy.rollout = func(ctx context.Context) error { r.lock.lose(errBroken, false); return untilDone(ctx) }
		}, []notify.Kind{notify.Started, notify.Failed}},
		{"lock lost during the undo", func(r *run) {
			r.strategy.rollout = func(context.Context) error { return errUnhealthy }
			r.strategy.undo = func(ctx context.Context) error { r.lock.lose(errBroken, false); return untilDone(ctx) }
		}, []notify.Kind{notify.Started, notify.Failed, notify.UndoFailed}},
		{"canary pause", func(r *run) {
			r.strategy.rollout = pause(r, release.StrategyCanary, 2)
		}, []notify.Kind{notify.Started, notify.Paused, notify.Succeeded}},
		{"blue-green waits for its switch", func(r *run) {
			r.strategy.rollout = pause(r, release.StrategyBlueGreen, 2)
		}, []notify.Kind{notify.Started, notify.WaitingApproval, notify.Succeeded}},
		{"locked by someone else: no release, no event", func(r *run) {
			r.locker = fakeLocker{err: exitcode.With(exitcode.Blocked, &release.LockedError{Holder: release.Holder{User: "bob"}})}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRun(t)
			n := &notified{}
			r.notifier = n
			tt.setup(r)
			_, _ = r.deploy(t)
			if diff := cmp.Diff(tt.want, n.kinds()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if len(n.events) > 1 {
				last := n.events[len(n.events)-1]
				if want := string(r.store.get(2).Status); last.Outcome != want {
					t.Errorf("last event's outcome %q, want the record's %q", last.Outcome, want)
				}
			}
		})
	}
}

// TestDeployNotifiesTheRelease: an event carries the release and who runs it.
func TestDeployNotifiesTheRelease(t *testing.T) {
	r := newRun(t)
	n := &notified{}
	r.notifier = n
	r.strategy.rollout = func(context.Context) error { return errUnhealthy }
	_, _ = r.deploy(t)
	if len(n.events) != 3 {
		t.Fatalf("events: %v", n.kinds())
	}
	want := notify.Event{
		Kind: notify.RolledBack, Pipeline: "shop", Environment: "dev", Namespace: "shop-dev", Revision: 2,
		Strategy: "rolling", Outcome: "rolled-back", Reason: errUnhealthy.Error(), RolledBackTo: 1,
		By: notify.ByCLI, User: "alice", Host: "laptop", Time: t0,
	}
	if diff := cmp.Diff(want, n.events[2]); diff != "" {
		t.Errorf("rolled-back event (-want +got):\n%s", diff)
	}
	if n.events[1].Outcome != "failed" {
		t.Errorf("failed event outcome = %q", n.events[1].Outcome)
	}
}

// TestApprovalNotifies: an approval no one can give blocks the promotion,
// and the event says so before any release of the target exists.
func TestApprovalNotifies(t *testing.T) {
	n := &notified{}
	up := &release.Record{Environment: "staging", Revision: 4, Artifacts: []release.Artifact{{Type: release.ArtifactImage, Name: "web", Ref: "web:1.1"}}}
	p := Promotion{Request: Request{
		Pipeline: "shop", Namespace: "shop", Notify: n, Holder: release.Holder{User: "ci"},
		Env: &pipeline.Environment{Name: "prod", Gates: pipeline.Gates{Approval: pipeline.ApprovalRequired}},
	}}
	p.Request.defaults()
	p.Request.Clock = testingclock.NewFakeClock(t0)
	err := p.approve(t.Context(), &PromotionResult{Upstream: up})
	if exitcode.Code(err) != exitcode.Blocked {
		t.Fatalf("approve: %v, want blocked", err)
	}
	want := []notify.Event{{
		Kind: notify.GateBlocked, Pipeline: "shop", Environment: "prod", Namespace: "shop", Strategy: "rolling",
		Artifacts: up.Artifacts, Source: &release.Source{Environment: "staging", Revision: 4},
		Outcome: notify.OutcomeBlocked, Reason: err.Error(), By: notify.ByCLI, User: "ci", Time: t0,
	}}
	if diff := cmp.Diff(want, n.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
