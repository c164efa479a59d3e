package cli

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/guard"
	"github.com/kubectl-promote/kubectl-promote/pkg/notify"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// TestGuardEvent: which guard events reach the webhooks, as what.
func TestGuardEvent(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	fail := &release.Failure{Object: "Pod/shop/web-1", Reason: "CrashLoopBackOff", Message: "back-off 10s"}
	tests := []struct {
		in   guard.Event
		want *notify.Event
	}{
		{
			in: guard.Event{Kind: guard.Detected, Environment: "prod", Namespace: "shop", Revision: 4, Failure: fail, Time: at},
			want: &notify.Event{Kind: notify.Failed, Pipeline: "p", Environment: "prod", Namespace: "shop", Revision: 4,
				Outcome: "failed", Reason: "Pod/shop/web-1: CrashLoopBackOff: back-off 10s", By: notify.ByGuard, Time: at},
		},
		{
			in: guard.Event{Kind: guard.RolledBack, Environment: "prod", Revision: 4, Target: 3, Message: "back on revision 3", Time: at},
			want: &notify.Event{Kind: notify.RolledBack, Pipeline: "p", Environment: "prod", Revision: 4, RolledBackTo: 3,
				Outcome: "rolled-back", Reason: "back on revision 3", By: notify.ByGuard, Time: at},
		},
		{
			in: guard.Event{Kind: guard.Continued, Environment: "prod", Revision: 5, Time: at},
			want: &notify.Event{Kind: notify.Succeeded, Pipeline: "p", Environment: "prod", Revision: 5,
				Outcome: "succeeded", By: notify.ByGuard, Time: at},
		},
		{in: guard.Event{Kind: guard.Guarding, Environment: "prod", Revision: 5}},
		{in: guard.Event{Kind: guard.UndoStarted, Environment: "prod", Revision: 4}},
	}
	for _, tt := range tests {
		got, ok := guardEvent("p", tt.in)
		if !ok {
			if tt.want != nil {
				t.Errorf("%s: not sent, want %+v", tt.in.Kind, *tt.want)
			}
			continue
		}
		if tt.want == nil {
			t.Errorf("%s: sent %+v, want nothing", tt.in.Kind, got)
			continue
		}
		if d := cmp.Diff(*tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in.Kind, d)
		}
	}
}
