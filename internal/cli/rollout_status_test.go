package cli

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func TestRolloutLines(t *testing.T) {
	since := time.Date(2026, 1, 2, 12, 0, 1, 0, time.Local)
	tests := []struct {
		name        string
		state       release.State
		interrupted bool
		want        []string
	}{
		{
			name: "canary paused",
			state: release.State{Strategy: "canary", Phase: "paused", Step: 2, Steps: 4, StableRevision: 2, CanaryRevision: 3,
				Weights: map[string]int{"stable": 80, "canary": 20}, Paused: true, PauseReason: "waiting for `kubectl promote resume staging` (or `abort`)", PauseStarted: since},
			want: []string{
				"canary, step 2/4: paused",
				"revision 3 replacing revision 2; traffic: stable 80%, canary 20%",
				"paused: waiting for `kubectl promote resume staging` (or `abort`), since 12:00:01",
			},
		},
		{
			name: "blue-green switched, driver gone, request pending",
			state: release.State{Strategy: "blueGreen", Phase: "switched", Step: 3, Steps: 3, StableRevision: 4, CanaryRevision: 5,
				Weights: map[string]int{"green": 100, "blue": 0}, Message: "green active; blue kept until 2026-01-02T12:05:00Z",
				Request: &release.Request{Kind: release.RequestAbort, By: "bob@ci"}},
			interrupted: true,
			want: []string{
				"blueGreen, step 3/3: switched (green active; blue kept until 2026-01-02T12:05:00Z)",
				"revision 5 replacing revision 4; traffic: green 100%, blue 0%",
				"abort requested by bob@ci, not yet acted on",
				"interrupted: no process is driving this rollout any more (the lock is free or expired); `kubectl promote resume staging` finishes it from this step, `kubectl promote abort staging` goes back",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rolloutLines("staging", &tc.state, tc.interrupted)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}
