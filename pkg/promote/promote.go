package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/notify"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// Promotion carries the current release of Upstream into the target of
// Request: same images (digests kept), same chart version, the target's own
// overlay for everything else.
type Promotion struct {
	Upstream          *pipeline.Environment
	UpstreamClients   *kube.Clients
	UpstreamNamespace string
	// Renderer renders the target.
	Renderer render.Renderer
	// Request is the target's deploy; Promote fills its Objects,
	// Artifacts, Source, Gates and Approver.
	Request  Request
	Approval Approval
}

// PromotionResult is what Promote did.
type PromotionResult struct {
	// Deploy is the target's deploy (nil when blocked before it).
	Deploy *Result
	// Upstream is the release promoted.
	Upstream *release.Record
	Gates    []release.GateResult
	// Promoted are the upstream images the target now uses.
	Promoted []release.Artifact
	// Render is the target's render with the promoted artifacts.
	Render *render.Result
}

// Promote checks the gates before anything changes, renders the target with
// the upstream's artifacts and deploys it. A gate not met is exit 6; with
// Request.DryRun the gates are evaluated and the diff made, nothing applied.
func Promote(ctx context.Context, p Promotion) (*PromotionResult, error) {
	p.Request.defaults()
	req := &p.Request
	out := &PromotionResult{}
	store := release.NewStore(p.UpstreamClients.Typed, p.UpstreamNamespace, req.Pipeline, p.Upstream.Name)
	up, err := UpstreamRelease(ctx, store, p.Upstream.Name)
	if err != nil {
		return out, err
	}
	out.Upstream = up
	req.emitf("gate", "promoting %s revision %d into %s: %s", up.Environment, up.Revision, req.Env.Name, refs(up.Artifacts))
	gateErr := p.checkGates(ctx, out)
	if gateErr != nil && !req.DryRun {
		p.notifyGate(ctx, notify.GateBlocked, up, gateErr.Error())
		return out, gateErr
	}
	if out.Render, err = p.Renderer.Render(ctx, RenderOptions(up.Artifacts)); err != nil {
		return out, err
	}
	out.Promoted = Promoted(up.Artifacts, out.Render)
	req.Objects, req.Artifacts, req.Hooks = out.Render.Objects, Artifacts(out.Render), Hooks(out.Render.Hooks)
	req.Source = &release.Source{Environment: up.Environment, Revision: up.Revision}
	if err := p.approve(ctx, out); err != nil {
		return out, err
	}
	req.Gates, req.Approver = out.Gates, p.approver()
	out.Deploy, err = Deploy(ctx, *req)
	if err == nil && gateErr != nil {
		err = gateErr
	}
	return out, err
}

func (r *Request) emitf(phase, format string, args ...any) {
	r.Events(Event{Time: r.Clock.Now(), Phase: phase, Message: fmt.Sprintf(format, args...)})
}

func refs(arts []release.Artifact) string {
	s := make([]string, len(arts))
	for i, a := range arts {
		s[i] = ArtifactText(a)
	}
	return strings.Join(s, ", ")
}

// checkGates evaluates the upstream and soak gates and reports each.
func (p *Promotion) checkGates(ctx context.Context, out *PromotionResult) error {
	req := &p.Request
	live := rollout.LiveRefs(ctx, p.UpstreamClients, p.Upstream, out.Upstream.Inventory)
	hs, overall := Health(ctx, p.UpstreamClients, live)
	results, err := CheckGates(GateCheck{Target: req.Env, Upstream: out.Upstream, Health: hs, Overall: overall, Now: req.Clock.Now()})
	out.Gates = results
	for _, g := range results {
		req.emitf("gate", "%s", gateLine(g))
	}
	return err
}

func gateLine(g release.GateResult) string {
	verdict := "met"
	if !g.Passed {
		verdict = "NOT met"
	}
	return fmt.Sprintf("gate %s %s: %s", g.Name, verdict, g.Message)
}

// approve runs the approval gate when the target requires it. A person on
// a terminal is shown the diff summary first, so the target is dry-run once
// before the real deploy.
func (p *Promotion) approve(ctx context.Context, out *PromotionResult) error {
	req := &p.Request
	if req.Env.Gates.Approval != approvalRequired {
		return nil
	}
	if req.DryRun {
		g := release.GateResult{Name: GateApproval, Passed: p.Approval.Approved, At: req.Clock.Now(), Message: "required: not asked in a dry run"}
		if g.Passed {
			g.Message = "approved in advance (--approve) by " + p.approver()
		}
		out.Gates = append(out.Gates, g)
		req.emitf("gate", "%s", gateLine(g))
		return nil
	}
	question, err := p.question(ctx, out)
	if err != nil {
		return err
	}
	a := p.Approval
	a.Approver = p.approver()
	if !a.Approved && a.Ask != nil {
		p.notifyGate(ctx, notify.WaitingApproval, out.Upstream, question)
	}
	g, err := a.check(ctx, req.Env.Name, question, req.Clock.Now())
	out.Gates = append(out.Gates, g)
	req.emitf("gate", "%s", gateLine(g))
	if err != nil {
		p.notifyGate(ctx, notify.GateBlocked, out.Upstream, err.Error())
	}
	return err
}

// question is what a person approves: the source, the images and the
// changes a dry run found.
func (p *Promotion) question(ctx context.Context, out *PromotionResult) (string, error) {
	q := fmt.Sprintf("Promote %s revision %d into %s (%s)", out.Upstream.Environment, out.Upstream.Revision, p.Request.Env.Name, refs(out.Promoted))
	if p.Approval.Approved || p.Approval.Ask == nil {
		return q + "?", nil
	}
	dry := p.Request
	dry.DryRun = true
	res, err := Deploy(ctx, dry)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: %s?", q, res.ChangeSet.Summary()), nil
}

func (p *Promotion) approver() string {
	if p.Approval.Approver != "" {
		return p.Approval.Approver
	}
	return p.Request.Holder.User
}
