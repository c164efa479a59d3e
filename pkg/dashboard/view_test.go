package dashboard

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/analysis"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func TestLink(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	rel := func(rev int, src *release.Source, healthy time.Time) *Release {
		return &Release{Summary: release.Summary{Revision: rev, Status: release.Succeeded, Source: src}, HealthySince: healthy}
	}
	up := &EnvView{Name: "dev", Current: rel(3, nil, now.Add(-10*time.Minute))}
	cases := []struct {
		name string
		cur  *Release
		up   *EnvView
		soak time.Duration
		want EnvView
	}{
		{name: "no upstream release", up: &EnvView{Name: "dev"}, want: EnvView{}},
		{name: "nothing here yet", up: up, want: EnvView{Promotable: true, UpstreamRevision: 3}},
		{name: "older revision here", up: up, cur: rel(1, &release.Source{Environment: "dev", Revision: 2}, now),
			want: EnvView{Promotable: true, UpstreamRevision: 3}},
		{name: "up to date", up: up, cur: rel(2, &release.Source{Environment: "dev", Revision: 3}, now),
			want: EnvView{UpstreamRevision: 3}},
		{name: "applied, not promoted", up: up, cur: rel(2, nil, now),
			want: EnvView{Promotable: true, UpstreamRevision: 3}},
		{name: "soak left", up: up, soak: time.Hour,
			want: EnvView{Promotable: true, UpstreamRevision: 3, Gates: GatesView{SoakLeft: "50m0s"}}},
		{name: "soak met", up: up, soak: 5 * time.Minute,
			want: EnvView{Promotable: true, UpstreamRevision: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := &EnvView{Current: tc.cur}
			link(v, tc.up, tc.soak, now)
			v.Current = nil
			if d := cmp.Diff(&tc.want, v); d != "" {
				t.Errorf("link (-want +got):\n%s", d)
			}
		})
	}
}

func TestSameViewIgnoresReadTime(t *testing.T) {
	a := &EnvView{Name: "dev", Health: "Healthy", Updated: time.Unix(1, 0)}
	b := &EnvView{Name: "dev", Health: "Healthy", Updated: time.Unix(2, 0)}
	if !sameView(a, b) {
		t.Error("views differing only by read time count as different")
	}
	b.Health = "Unhealthy"
	if sameView(a, b) {
		t.Error("views of different health count as the same")
	}
}

func TestWithAnalysis(t *testing.T) {
	at := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	res := analysis.Result{Name: "canary step 1", Phase: analysis.Failed, Message: "error-rate: 0.2 > 0.05", Checks: []analysis.CheckResult{{
		Name: "error-rate", Phase: analysis.Failed, Count: 2,
		Measurements: []analysis.Measurement{
			{Phase: analysis.Successful, Value: 0.01, Time: at, Why: "result < 0.05"},
			{Phase: analysis.Failed, Value: 0.2, Time: at.Add(time.Second), Why: "result < 0.05"},
		},
	}}}
	rec := &release.Record{Revision: 4, Status: release.RolledBack, Manifest: "kind: Secret\n",
		Analysis: []json.RawMessage{res.JSON(), json.RawMessage(`"from another version"`)}}
	got := withAnalysis(rec)
	if d := cmp.Diff([]analysis.Result{res}, got.Analysis); d != "" {
		t.Errorf("analysis (-want +got):\n%s", d)
	}
	if b, _ := json.Marshal(got); strings.Contains(string(b), "kind: Secret") {
		t.Error("the history carries the manifest")
	}
}

func TestFromStatus(t *testing.T) {
	cur := &promote.RevisionSummary{Revision: 2, Status: string(release.Succeeded)}
	gone := time.Now().Add(-time.Minute)
	cases := []struct {
		name string
		st   promote.EnvStatus
		want EnvView
	}{
		{name: "no release yet", st: promote.EnvStatus{Health: promote.HealthUnknown},
			want: EnvView{Health: HealthNone}},
		{name: "health not read", st: promote.EnvStatus{Current: cur, Health: promote.HealthUnknown},
			want: EnvView{Health: HealthUnknown}},
		{name: "healthy", st: promote.EnvStatus{Current: cur, Health: promote.Healthy},
			want: EnvView{Health: promote.Healthy}},
		{name: "expired lock, interrupted rollout", st: promote.EnvStatus{Current: cur, Health: promote.Healthy,
			Lock:    &promote.LockStatus{Holder: "bob", Expires: gone},
			Rollout: &release.State{Strategy: release.StrategyCanary, Step: 1, Steps: 2}, Interrupted: true},
			want: EnvView{Health: promote.Healthy, Lock: &LockView{Holder: "bob", Expires: gone, Expired: true},
				Rollout: &release.State{Strategy: release.StrategyCanary, Step: 1, Steps: 2}, Interrupted: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var v EnvView
			fromStatus(&v, &tc.st)
			if d := cmp.Diff(tc.want, v); d != "" {
				t.Errorf("fromStatus (-want +got):\n%s", d)
			}
		})
	}
}

// TestBlueGreenJSON pins the field names app.js reads for the colours:
// rollout.blueGreen.from and .to.
func TestBlueGreenJSON(t *testing.T) {
	v := EnvView{Rollout: &release.State{Strategy: release.StrategyBlueGreen,
		BlueGreen: &release.BlueGreenState{From: "blue", To: "green"}}}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rollout struct {
			BlueGreen struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"blueGreen"`
		} `json:"rollout"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Rollout.BlueGreen.From != "blue" || got.Rollout.BlueGreen.To != "green" {
		t.Errorf("rollout.blueGreen = %+v in %s, want from blue, to green", got.Rollout.BlueGreen, b)
	}
}

func TestSummaryTimeToDetection(t *testing.T) {
	start := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		failure *release.Failure
		want    float64
	}{
		{"succeeded", nil, 0},
		{"failed, detected", &release.Failure{Reason: "CrashLoopBackOff", Detected: start.Add(1500 * time.Millisecond)}, 1.5},
		{"failed, detection not recorded", &release.Failure{Reason: "CrashLoopBackOff"}, 0},
		{"detected before the start (clock skew)", &release.Failure{Reason: "x", Detected: start.Add(-time.Second)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &release.Record{Revision: 2, Started: start, Finished: start.Add(5 * time.Second), Failure: tt.failure}
			if got := summary(r).DetectedAfter; got != tt.want {
				t.Errorf("DetectedAfter = %v, want %v", got, tt.want)
			}
		})
	}
}
