package promote

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func TestCheckGates(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		status  release.Status
		overall string
		soak    time.Duration
		since   time.Duration // how long ago the upstream became healthy
		want    []bool        // Passed of each gate
		code    int
		message string
	}{
		{name: "healthy, no soak", status: release.Succeeded, overall: Healthy, want: []bool{true}},
		{name: "unhealthy now", status: release.Succeeded, overall: Unhealthy, want: []bool{false}, code: exitcode.Blocked,
			message: "dev revision 3 is not healthy now: Deployment/shop/web InProgress Ready: 1/2"},
		{name: "soaked", status: release.Succeeded, overall: Healthy, soak: time.Hour, since: 61 * time.Minute, want: []bool{true, true}},
		{name: "soak not met", status: release.Succeeded, overall: Healthy, soak: time.Hour, since: 20 * time.Minute, want: []bool{true, false},
			code: exitcode.Blocked, message: "soak: dev revision 3 has been healthy for 20m0s of 1h: 40m0s remain, met at " + now.Add(40*time.Minute).Local().Format(time.RFC3339)},
		{name: "not succeeded", status: release.RolledBack, overall: Healthy, want: []bool{false}, code: exitcode.Blocked, message: "is rolled-back, not succeeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &pipeline.Environment{Name: "staging", Gates: pipeline.Gates{Soak: pipeline.Duration(tt.soak)}}
			up := &release.Record{Environment: "dev", Revision: 3, Status: tt.status, HealthySince: now.Add(-tt.since)}
			health := []ObjectHealth{{Object: "Deployment/shop/web", Status: "InProgress", Message: "Ready: 1/2"}}
			got, err := CheckGates(GateCheck{Target: env, Upstream: up, Health: health, Overall: tt.overall, Now: now})
			var passed []bool
			for _, g := range got {
				passed = append(passed, g.Passed)
			}
			if diff := cmp.Diff(tt.want, passed); diff != "" {
				t.Errorf("gates passed (-want +got):\n%s", diff)
			}
			if c := exitcode.Code(err); c != tt.code {
				t.Errorf("exit code %d, want %d (%v)", c, tt.code, err)
			}
			if tt.message != "" && (err == nil || !strings.Contains(err.Error(), tt.message)) {
				t.Errorf("error %v, want it to contain %q", err, tt.message)
			}
		})
	}
}

func TestApprovalCheck(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		a      Approval
		passed bool
	}{
		{name: "approved in advance", a: Approval{Approved: true, Approver: "ci-bot"}, passed: true},
		{name: "no terminal", a: Approval{Approver: "alice"}},
		{name: "yes on the terminal", a: Approval{Approver: "alice", Ask: answer(true)}, passed: true},
		{name: "no on the terminal", a: Approval{Approver: "alice", Ask: answer(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.a.check(t.Context(), "prod", "Promote?", now)
			if g.Passed != tt.passed {
				t.Errorf("passed %v, want %v (%s)", g.Passed, tt.passed, g.Message)
			}
			if want := map[bool]int{true: 0, false: exitcode.Blocked}[tt.passed]; exitcode.Code(err) != want {
				t.Errorf("exit code %d, want %d", exitcode.Code(err), want)
			}
			if !strings.Contains(g.Message, tt.a.Approver) && tt.a.Ask != nil {
				t.Errorf("message %q does not name the approver", g.Message)
			}
		})
	}
}

// answer is a person at a terminal who always says yes or no.
func answer(yes bool) func(context.Context, string) (bool, error) {
	return func(context.Context, string) (bool, error) { return yes, nil }
}
