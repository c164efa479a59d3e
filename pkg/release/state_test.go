package release

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestStateReadsLegacyExtra: states written before the typed state kept
// blue-green colours and requests in an "extra" map of strings; they are
// still read, into the typed fields.
func TestStateReadsLegacyExtra(t *testing.T) {
	at := time.Date(2026, 1, 2, 12, 5, 0, 0, time.UTC)
	tests := []struct {
		name string
		json string
		want State
	}{
		{
			name: "blue-green switched, abort pending",
			json: `{"strategy":"blueGreen","phase":"switched","step":3,"steps":3,"canaryRevision":5,` +
				`"extra":{"from":"blue","fromHash":"abc","to":"green","scaleDownAt":"2026-01-02T12:05:00Z",` +
				`"request":"abort","requestedBy":"bob@ci","requestedAt":"2026-01-02T12:05:00Z"}}`,
			want: State{Strategy: StrategyBlueGreen, Phase: "switched", Step: 3, Steps: 3, CanaryRevision: 5,
				BlueGreen: &BlueGreenState{From: "blue", FromHash: "abc", To: "green", ScaleDownAt: at},
				Request:   &Request{Kind: RequestAbort, By: "bob@ci", At: at}},
		},
		{
			name: "blue-green first release, bad time",
			json: `{"strategy":"blueGreen","step":1,"steps":3,"extra":{"to":"blue","scaleDownAt":"soon"}}`,
			want: State{Strategy: StrategyBlueGreen, Step: 1, Steps: 3, BlueGreen: &BlueGreenState{To: "blue"}},
		},
		{
			name: "canary with a resume request",
			json: `{"strategy":"canary","step":2,"steps":4,"weights":{"canary":20},"extra":{"request":"resume","requestedBy":"alice","requestedAt":"2026-01-02T12:05:00Z"}}`,
			want: State{Strategy: StrategyCanary, Step: 2, Steps: 4, Weights: map[string]int{"canary": 20},
				Request: &Request{Kind: RequestResume, By: "alice", At: at}},
		},
		{
			name: "typed",
			json: `{"strategy":"blueGreen","step":1,"steps":3,"blueGreen":{"to":"green"},"request":{"kind":"resume","at":"2026-01-02T12:05:00Z"}}`,
			want: State{Strategy: StrategyBlueGreen, Step: 1, Steps: 3, BlueGreen: &BlueGreenState{To: "green"},
				Request: &Request{Kind: RequestResume, At: at}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got State
			if err := json.Unmarshal([]byte(tt.json), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
			again, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var round State
			if err := json.Unmarshal(again, &round); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, round); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}
