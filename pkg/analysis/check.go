package analysis

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/condition"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// checkRun measures one check count times.
type checkRun struct {
	spec  pipeline.Check
	prov  provider
	clock Clock

	res                                    CheckResult
	failed, inconclusive, errors, verdicts int
}

func (r *checkRun) count() int { return max(r.spec.Count, 1) }

func (r *checkRun) errorLimit() int {
	if r.spec.ConsecutiveErrorLimit != nil {
		return *r.spec.ConsecutiveErrorLimit
	}
	return DefaultConsecutiveErrorLimit
}

func (r *checkRun) run(ctx context.Context) CheckResult {
	r.res = CheckResult{Name: r.spec.Name, Count: r.count(), Measurements: []Measurement{}}
	if !r.wait(ctx, r.spec.InitialDelay.D()) {
		return r.stopped(ctx, 0)
	}
	for i := 1; i <= r.count(); i++ {
		if i > 1 && !r.wait(ctx, r.spec.Interval.D()) {
			return r.stopped(ctx, i-1)
		}
		m := r.measure(ctx)
		if ctx.Err() != nil {
			return r.stopped(ctx, i-1)
		}
		r.res.Measurements = append(r.res.Measurements, m)
		if r.decided(m, i) {
			return r.res
		}
	}
	r.res.Phase, r.res.Message = Successful, r.summary("passed", r.count())
	if r.verdicts == 0 {
		last := r.res.Measurements[len(r.res.Measurements)-1]
		r.res.Phase, r.res.Message = Error, r.summary("every measurement erred, the last with "+last.Error, r.count())
	}
	return r.res
}

// decided counts m (the i-th) and says whether the check is over early.
func (r *checkRun) decided(m Measurement, i int) bool {
	if m.Phase == Error {
		r.errors++
	} else {
		r.errors, r.verdicts = 0, r.verdicts+1
	}
	switch m.Phase {
	case Failed:
		r.failed++
	case Inconclusive:
		r.inconclusive++
	}
	at := fmt.Sprintf("%s at %d/%d", describe(m), i, r.count())
	switch {
	case r.failed > r.spec.FailureLimit:
		r.res.Phase = Failed
		r.res.Message = r.summary(fmt.Sprintf("%s; %d failed, failureLimit %d", at, r.failed, r.spec.FailureLimit), i)
	case r.inconclusive > r.spec.InconclusiveLimit:
		r.res.Phase = Inconclusive
		r.res.Message = r.summary(fmt.Sprintf("%s; %d inconclusive, inconclusiveLimit %d", at, r.inconclusive, r.spec.InconclusiveLimit), i)
	case r.errors > r.errorLimit():
		r.res.Phase = Error
		r.res.Message = r.summary(fmt.Sprintf("%s; %d errors in a row, consecutiveErrorLimit %d", at, r.errors, r.errorLimit()), i)
	default:
		return false
	}
	return true
}

// describe reads like `result 0.31 (failureCondition "result > 0.05")`.
func describe(m Measurement) string {
	if m.Phase == Error {
		return "error: " + m.Error
	}
	s := "result " + condition.Format(m.Value)
	if m.Why != "" {
		s += " (" + m.Why + ")"
	}
	return s
}

// summary prefixes the check name and appends the values measured so far.
func (r *checkRun) summary(what string, n int) string {
	vals := make([]any, 0, len(r.res.Measurements))
	for _, m := range r.res.Measurements {
		if m.Phase != Error {
			vals = append(vals, m.Value)
		}
	}
	s := fmt.Sprintf("%s: %s", r.spec.Name, what)
	if len(vals) > 0 && (len(vals) > 1 || n != 1) {
		s += fmt.Sprintf(" (values %s)", formatList(vals))
	}
	if w := r.warnings(); len(w) > 0 {
		s += fmt.Sprintf(" (warnings: %s)", strings.Join(w, "; "))
	}
	return s
}

func formatList(vals []any) string {
	s := "["
	for i, v := range vals {
		if i > 0 {
			s += " "
		}
		s += condition.Format(v)
	}
	return s + "]"
}

// warnings are the distinct warnings of the measurements, in order.
func (r *checkRun) warnings() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range r.res.Measurements {
		for _, w := range m.Warnings {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// stopped ends a check its context cut short after n measurements.
func (r *checkRun) stopped(ctx context.Context, n int) CheckResult {
	r.res.Phase = Successful
	why := "stopped: another check failed"
	if cause := context.Cause(ctx); cause != context.Canceled {
		why = "stopped: " + cause.Error()
	}
	if r.failed > 0 || r.inconclusive > 0 {
		r.res.Phase = Inconclusive
	}
	r.res.Message = r.summary(fmt.Sprintf("%s after %d/%d", why, n, r.count()), n)
	return r.res
}

// wait sleeps d on the clock; false when ctx ended first.
func (r *checkRun) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-r.clock.After(d):
		return true
	}
}

// measure takes one measurement and judges it.
func (r *checkRun) measure(ctx context.Context) Measurement {
	m := Measurement{Time: r.clock.Now()}
	v, verdict, err := r.prov.measure(ctx)
	if w, ok := r.prov.(warner); ok {
		m.Warnings = w.warnings()
	}
	if err != nil {
		m.Phase, m.Error = Error, err.Error()
		return m
	}
	m.Value = jsonSafe(v)
	if verdict != "" {
		m.Phase = verdict
		return m
	}
	m.Phase, m.Why, err = judge(r.spec, v)
	if err != nil {
		m.Phase, m.Error = Error, err.Error()
	}
	return m
}

// judge applies Argo Rollouts' rules: with only a success condition a
// false one fails; with only a failure condition a false one succeeds;
// with both and neither true the measurement is inconclusive; with none
// every value succeeds.
func judge(c pipeline.Check, v any) (Phase, string, error) {
	var ok, bad bool
	var err error
	if c.SuccessCondition != "" {
		if ok, err = eval(c.SuccessCondition, v); err != nil {
			return Error, "", err
		}
	}
	if c.FailureCondition != "" {
		if bad, err = eval(c.FailureCondition, v); err != nil {
			return Error, "", err
		}
	}
	switch {
	case c.SuccessCondition == "" && c.FailureCondition == "":
		return Successful, "", nil
	case bad:
		return Failed, fmt.Sprintf("failureCondition %q", c.FailureCondition), nil
	case c.FailureCondition == "" && !ok:
		return Failed, fmt.Sprintf("successCondition %q is false", c.SuccessCondition), nil
	case c.SuccessCondition != "" && !ok:
		return Inconclusive, "neither successCondition nor failureCondition holds", nil
	}
	return Successful, "", nil
}

func eval(src string, v any) (bool, error) {
	c, err := condition.Compile(src)
	if err != nil {
		return false, err
	}
	return c.Eval(v)
}

// jsonSafe replaces the floats JSON cannot hold by their names.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
	case []float64:
		out := make([]any, len(x))
		for i, f := range x {
			out[i] = jsonSafe(f)
		}
		return out
	}
	return v
}
