package analysis

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// scripted returns its values in order; an error value is a failed measurement.
type scripted struct {
	values []any
	n      int
}

func (s *scripted) measure(context.Context) (any, Phase, error) {
	v := s.values[min(s.n, len(s.values)-1)]
	s.n++
	if err, ok := v.(error); ok {
		return nil, "", err
	}
	return v, "", nil
}

func TestCheckSemantics(t *testing.T) {
	one := 1
	boom := errors.New("connection refused")
	tests := []struct {
		name   string
		check  pipeline.Check
		values []any
		phase  Phase
		taken  int
		msg    string
	}{
		{name: "all pass", check: pipeline.Check{Count: 3, FailureCondition: "result > 0.05"},
			values: []any{0.01, 0.02, 0.03}, phase: Successful, taken: 3},
		{name: "failure over limit stops early",
			check:  pipeline.Check{Count: 5, Interval: pipeline.Duration(1e9), FailureCondition: "result >= 0.05", FailureLimit: 1},
			values: []any{0.01, 0.28, 0.31, 0.01}, phase: Failed, taken: 3,
			msg: `c: result 0.31 (failureCondition "result >= 0.05") at 3/5; 2 failed, failureLimit 1 (values [0.01 0.28 0.31])`},
		{name: "failure within limit", check: pipeline.Check{Count: 3, FailureCondition: "result > 0.05", FailureLimit: 1},
			values: []any{0.01, 0.28, 0.01}, phase: Successful, taken: 3},
		{name: "success condition only: false fails", check: pipeline.Check{SuccessCondition: "result[0] >= 0.95"},
			values: []any{[]float64{0.5}}, phase: Failed, taken: 1,
			msg: `c: result [0.5] (successCondition "result[0] >= 0.95" is false) at 1/1; 1 failed, failureLimit 0`},
		{name: "both conditions, neither holds", check: pipeline.Check{SuccessCondition: `result == "ok"`, FailureCondition: `result == "down"`},
			values: []any{"degraded"}, phase: Inconclusive, taken: 1},
		{name: "inconclusive within limit", check: pipeline.Check{Count: 2, SuccessCondition: `result == "ok"`, FailureCondition: `result == "down"`, InconclusiveLimit: 1},
			values: []any{"degraded", "ok"}, phase: Successful, taken: 2},
		{name: "no conditions succeed", check: pipeline.Check{}, values: []any{"anything"}, phase: Successful, taken: 1},
		{name: "errors under the limit", check: pipeline.Check{Count: 3, FailureCondition: "result > 1"},
			values: []any{boom, boom, 0.5}, phase: Successful, taken: 3},
		{name: "consecutive errors over the limit", check: pipeline.Check{Count: 5, FailureCondition: "result > 1", ConsecutiveErrorLimit: &one},
			values: []any{boom, 0.5, boom, boom}, phase: Error, taken: 4},
		{name: "every measurement erred", check: pipeline.Check{Count: 2, FailureCondition: "result > 1"},
			values: []any{boom}, phase: Error, taken: 2},
		{name: "condition error is a measurement error", check: pipeline.Check{FailureCondition: "result[3] > 1", ConsecutiveErrorLimit: new(int)},
			values: []any{[]float64{}}, phase: Error, taken: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check.Name = "c"
			r := &checkRun{spec: tt.check, prov: &scripted{values: tt.values}, clock: newFakeClock()}
			got := r.run(t.Context())
			if got.Phase != tt.phase || len(got.Measurements) != tt.taken {
				t.Errorf("phase %s after %d measurements, want %s after %d: %s", got.Phase, len(got.Measurements), tt.phase, tt.taken, got.Message)
			}
			if tt.msg != "" {
				if diff := cmp.Diff(tt.msg, got.Message); diff != "" {
					t.Errorf("message (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestRunStopsOtherChecksOnFailure(t *testing.T) {
	a := &pipeline.Analysis{Checks: []pipeline.Check{
		{Name: "slow", Count: 1000, Interval: pipeline.Duration(1e9), FailureCondition: "result > 1"},
		{Name: "bad", FailureCondition: "result > 1"},
	}}
	provs := map[string]provider{"slow": &scripted{values: []any{0.1}}, "bad": &scripted{values: []any{5.0}}}
	res := runWith(t, a, provs)
	if res.Phase != Failed || !strings.Contains(res.Message, "bad: result 5") {
		t.Fatalf("got %s: %s", res.Phase, res.Message)
	}
	if n := len(res.Checks[0].Measurements); n >= 1000 {
		t.Errorf("slow check took all %d measurements", n)
	}
	var f *Failure
	if !errors.As(res.Err(), &f) || f.Inconclusive() {
		t.Errorf("Err() = %v", res.Err())
	}
}

// runWith runs a with the given providers instead of real ones.
func runWith(t *testing.T, a *pipeline.Analysis, provs map[string]provider) *Result {
	t.Helper()
	list := make([]provider, len(a.Checks))
	for i, c := range a.Checks {
		list[i] = provs[c.Name]
	}
	res, err := runChecks(t.Context(), a, list, newFakeClock())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestJobPrefix(t *testing.T) {
	for check, want := range map[string]string{"smoke": "analysis-smoke-", "Error_Rate.5xx": "analysis-error-rate-5xx-", "x-": "analysis-x-"} {
		if got := jobPrefix(check); got != want {
			t.Errorf("jobPrefix(%q) = %q, want %q", check, got, want)
		}
	}
}
