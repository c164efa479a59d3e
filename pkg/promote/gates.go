package promote

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Gate names, as recorded in a release.
const (
	GateUpstream = "upstream"
	GateSoak     = "soak"
	GateApproval = "approval"
)

// GateCheck is what the upstream and soak gates look at.
type GateCheck struct {
	Target   *pipeline.Environment
	Upstream *release.Record
	// Health is the upstream release's objects live, and its verdict.
	Health  []ObjectHealth
	Overall string
	Now     time.Time
}

// CheckGates evaluates the gates that need no person: the upstream release
// succeeded and is healthy now, and it has soaked long enough. It returns
// every result and, when one is not met, an error (exit 6) saying what is
// missing and when it will be met.
func CheckGates(c GateCheck) ([]release.GateResult, error) {
	results := []release.GateResult{upstreamGate(c)}
	if c.Target.Gates.Soak > 0 {
		results = append(results, soakGate(c))
	}
	var missing []string
	for _, r := range results {
		if !r.Passed {
			missing = append(missing, r.Name+": "+r.Message)
		}
	}
	if len(missing) > 0 {
		return results, exitcode.With(exitcode.Blocked, fmt.Errorf("promotion into %s blocked: %s", c.Target.Name, strings.Join(missing, "; ")))
	}
	return results, nil
}

func upstreamGate(c GateCheck) release.GateResult {
	up := c.Upstream
	g := release.GateResult{Name: GateUpstream, At: c.Now}
	switch {
	case up.Status != release.Succeeded:
		g.Message = fmt.Sprintf("%s revision %d is %s, not succeeded", up.Environment, up.Revision, up.Status)
	case c.Overall != Healthy:
		g.Message = fmt.Sprintf("%s revision %d is not healthy now: %s", up.Environment, up.Revision, firstUnhealthy(c.Health))
	default:
		g.Passed = true
		g.Message = fmt.Sprintf("%s revision %d succeeded and is healthy", up.Environment, up.Revision)
	}
	return g
}

func firstUnhealthy(hs []ObjectHealth) string {
	for _, h := range hs {
		if h.Status != "Current" {
			return fmt.Sprintf("%s %s %s", h.Object, h.Status, h.Message)
		}
	}
	return "no objects"
}

func soakGate(c GateCheck) release.GateResult {
	up, soak := c.Upstream, c.Target.Gates.Soak.D()
	g := release.GateResult{Name: GateSoak, At: c.Now}
	since := up.HealthySince
	if since.IsZero() {
		since = up.Finished
	}
	healthy := c.Now.Sub(since)
	if healthy >= soak {
		g.Passed = true
		g.Message = fmt.Sprintf("%s revision %d healthy for %s (soak %s)", up.Environment, up.Revision, round(healthy), pipeline.Duration(soak))
		return g
	}
	remain := soak - healthy
	g.Message = fmt.Sprintf("%s revision %d has been healthy for %s of %s: %s remain, met at %s",
		up.Environment, up.Revision, round(healthy), pipeline.Duration(soak), round(remain), since.Add(soak).Local().Format(time.RFC3339))
	return g
}

// round keeps durations readable: whole seconds.
func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// Approval is the approval gate's input.
type Approval struct {
	// Approved is --approve: the caller approved in advance (CI).
	Approved bool
	// Approver is who approves: --approver, the CI actor or the user.
	Approver string
	// Ask asks a person on a terminal; nil when there is none.
	Ask func(ctx context.Context, question string) (bool, error)
}

// check evaluates approval: required is the target's gate, question what a
// person is asked (it names the diff summary).
func (a Approval) check(ctx context.Context, env string, question string, now time.Time) (release.GateResult, error) {
	g := release.GateResult{Name: GateApproval, At: now}
	switch {
	case a.Approved:
		g.Passed, g.Message = true, "approved in advance (--approve) by "+a.Approver
	case a.Ask == nil:
		g.Message = "required: no terminal to ask on; run with --approve (and --approver NAME) to approve"
	default:
		ok, err := a.Ask(ctx, question)
		if err != nil {
			return g, exitcode.With(exitcode.Blocked, fmt.Errorf("approval of %s: %w", env, err))
		}
		g.Passed = ok
		g.Message = "approved on the terminal by " + a.Approver
		if !ok {
			g.Message = "declined on the terminal by " + a.Approver
		}
	}
	if !g.Passed {
		return g, exitcode.With(exitcode.Blocked, fmt.Errorf("promotion into %s blocked: approval %s", env, g.Message))
	}
	return g, nil
}

// approvalRequired is the value of gates.approval that asks for a person.
const approvalRequired = "required"
