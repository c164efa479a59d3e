package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-promote/kubectl-promote/pkg/analysis"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// EnvView is one environment as the pipeline page shows it.
type EnvView struct {
	Name      string `json:"name"`
	From      string `json:"from,omitempty"`
	Context   string `json:"context"`
	Namespace string `json:"namespace"`
	Strategy  string `json:"strategy"`
	// Reachable is false when the cluster could not be read; Error says
	// why ("forbidden: …" where RBAC does not allow it).
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// Current is the newest successful release, Latest the newest of any
	// status (shown when it differs: a rollout in progress or a failure).
	Current *Release               `json:"current,omitempty"`
	Latest  *Release               `json:"latest,omitempty"`
	Health  string                 `json:"health"`
	Objects []promote.ObjectHealth `json:"objects,omitempty"`
	Lock    *LockView              `json:"lock,omitempty"`
	Rollout *release.State         `json:"rollout,omitempty"`
	// Interrupted: a rollout state is left but nobody holds the lock.
	Interrupted bool      `json:"interrupted,omitempty"`
	Gates       GatesView `json:"gates"`
	// Promotable says the upstream's current release is not yet here.
	Promotable       bool      `json:"promotable,omitempty"`
	UpstreamRevision int       `json:"upstreamRevision,omitempty"`
	Updated          time.Time `json:"updated"`
}

// LockView names who holds the environment's lock.
type LockView struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
	Expired bool      `json:"expired"`
}

// GatesView is what a promotion into the environment has to pass.
type GatesView struct {
	// Soak is how long the upstream release must have been healthy.
	Soak string `json:"soak,omitempty"`
	// SoakLeft is how much of it remains for the upstream's current release.
	SoakLeft string `json:"soakLeft,omitempty"`
	// Approval is true when a person must approve.
	Approval bool `json:"approval,omitempty"`
}

// Health values besides promote.Healthy and promote.Unhealthy.
const (
	HealthUnknown = "Unknown"
	HealthNone    = "NoRelease"
)

// staticView is what is known of e before its cluster answers.
func staticView(e *Environment) *EnvView {
	v := &EnvView{
		Name: e.Env.Name, From: e.Env.From, Context: e.Context, Namespace: e.Namespace,
		Strategy: e.Env.Strategy.Name(), Health: HealthUnknown, Updated: time.Now(),
		Gates: GatesView{Approval: e.Env.Gates.Approval == "required"},
	}
	if d := time.Duration(e.Env.Gates.Soak); d > 0 {
		v.Gates.Soak = d.String()
	}
	if e.Clients == nil {
		v.Error = errText(e.Err)
	}
	return v
}

// readView reads one environment's view from its cluster. Errors end up in
// the view, never fail it: one unreadable environment must not blank the page.
func (s *Server) readView(ctx context.Context, e *Environment) *EnvView {
	v := staticView(e)
	if e.Clients == nil {
		return v
	}
	v.Reachable = true
	if err := s.readRecords(ctx, e, v); err != nil {
		// Forbidden is an answer: the cluster is there, RBAC said no.
		v.Reachable, v.Error = apierrors.IsForbidden(err), errText(err)
		return v
	}
	s.readLockAndState(ctx, e, v)
	return v
}

func (s *Server) store(e *Environment) *release.Store {
	return release.NewStore(e.Clients.Typed, e.Namespace, s.opts.Pipeline.Metadata.Name, e.Env.Name)
}

// readRecords fills the current and latest releases and the live health of
// the current one's objects.
func (s *Server) readRecords(ctx context.Context, e *Environment, v *EnvView) error {
	recs, err := s.store(e).List(ctx)
	if err != nil {
		return fmt.Errorf("reading release history of %s: %w", e.Env.Name, err)
	}
	v.Health = HealthNone
	if len(recs) > 0 {
		v.Latest = summary(recs[0])
	}
	for _, r := range recs {
		if r.Status == release.Succeeded {
			v.Current = summary(r)
			refs := rollout.LiveRefs(ctx, e.Clients, e.Env, r.Inventory)
			v.Objects, v.Health = promote.Health(ctx, e.Clients, refs)
			break
		}
	}
	return nil
}

// Release is a record as the page shows it: its summary (never the
// manifest, which may hold Secrets), when it became healthy, and its
// duration in seconds for the history plot.
type Release struct {
	release.Summary
	HealthySince time.Time `json:"healthySince,omitzero"`
	Seconds      float64   `json:"seconds,omitempty"`
	// Analysis are the release's analysis runs with every measurement,
	// in the history only.
	Analysis []analysis.Result `json:"analysis,omitempty"`
}

func summary(r *release.Record) *Release {
	return &Release{Summary: r.Summary(), HealthySince: r.HealthySince, Seconds: r.Duration().Seconds()}
}

// withAnalysis is summary plus the decoded analysis results; one that does
// not decode (written by another version) is left out.
func withAnalysis(r *release.Record) *Release {
	rel := summary(r)
	for _, raw := range r.Analysis {
		var res analysis.Result
		if json.Unmarshal(raw, &res) == nil {
			rel.Analysis = append(rel.Analysis, res)
		}
	}
	return rel
}

// readLockAndState fills the lock holder and rollout state; a failure to
// read them is shown, not fatal.
func (s *Server) readLockAndState(ctx context.Context, e *Environment, v *EnvView) {
	name := s.opts.Pipeline.Metadata.Name
	h, exp, err := release.CurrentHolder(ctx, e.Clients.Typed, e.Namespace, name, e.Env.Name)
	if err != nil {
		v.Error = errText(fmt.Errorf("reading the lock: %w", err))
	} else if h != nil {
		v.Lock = &LockView{Holder: h.String()}
		if exp != nil {
			v.Lock.Expires, v.Lock.Expired = *exp, !exp.After(time.Now())
		}
	}
	st, _, err := s.store(e).State(ctx)
	if err != nil {
		v.Error = errText(fmt.Errorf("reading the rollout state: %w", err))
		return
	}
	if st != nil {
		v.Rollout = st
		v.Interrupted = v.Lock == nil || v.Lock.Expired
	}
}

// link fills what depends on the upstream's view: whether it has something
// newer to promote and how much soak time is left.
func link(v, up *EnvView, soak time.Duration, now time.Time) {
	if up == nil || up.Current == nil {
		return
	}
	v.UpstreamRevision = up.Current.Revision
	cur := v.Current
	v.Promotable = cur == nil || cur.Source == nil || cur.Source.Environment != up.Name ||
		cur.Source.Revision < up.Current.Revision
	since := up.Current.HealthySince
	if since.IsZero() {
		since = up.Current.Finished
	}
	if soak > 0 && !since.IsZero() {
		if left := since.Add(soak).Sub(now); left > 0 {
			v.Gates.SoakLeft = left.Round(time.Second).String()
		}
	}
}

// errText is an error for the page, "forbidden: …" when RBAC refused.
func errText(err error) string {
	switch {
	case err == nil:
		return ""
	case apierrors.IsForbidden(err):
		return "forbidden: " + err.Error()
	}
	return err.Error()
}
