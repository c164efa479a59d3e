package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-promote/kubectl-promote/pkg/analysis"
	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
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

// readView reads one environment's view from its cluster through
// promote.Status, as `kubectl promote status` does. Errors end up in the
// view, never fail it: one unreadable environment must not blank the page.
func (s *Server) readView(ctx context.Context, e *Environment) *EnvView {
	v := staticView(e)
	if e.Clients == nil {
		return v
	}
	t := s.target(e)
	st, err := promote.Status(ctx, t, promote.StatusOptions{})
	if st == nil {
		// Forbidden is an answer: the cluster is there, RBAC said no.
		v.Reachable, v.Error = apierrors.IsForbidden(err), errText(err)
		return v
	}
	// A lock or rollout state that could not be read is shown, not fatal.
	v.Reachable, v.Error = true, errText(err)
	fromStatus(v, st)
	if err := readReleases(ctx, t.Store(), v, st); err != nil && v.Error == "" {
		v.Error = errText(err)
	}
	return v
}

// target is e as the library's actions take it.
func (s *Server) target(e *Environment) promote.Target {
	return promote.Target{Pipeline: s.opts.Pipeline, Env: promote.Place(e.Env, e.Namespace, ""), Clients: e.Clients}
}

func (s *Server) store(e *Environment) *release.Store {
	return s.target(e).Store()
}

// fromStatus fills v's health, lock and rollout from st.
func fromStatus(v *EnvView, st *promote.EnvStatus) {
	v.Objects, v.Interrupted, v.Rollout = st.Objects, st.Interrupted, st.Rollout
	switch {
	case st.Current == nil:
		v.Health = HealthNone
	case st.Health == promote.HealthUnknown:
		v.Health = HealthUnknown
	default:
		v.Health = st.Health
	}
	if st.Lock != nil {
		v.Lock = &LockView{Holder: st.Lock.Holder, Expires: st.Lock.Expires,
			Expired: !st.Lock.Expires.IsZero() && !st.Lock.Expires.After(time.Now())}
	}
}

// readReleases fills the current and latest releases whole: the page shows
// their source, approver and times, which promote.Status's summaries do not
// carry. A record that cannot be read keeps Status's revision and outcome.
func readReleases(ctx context.Context, store *release.Store, v *EnvView, st *promote.EnvStatus) error {
	var errs []error
	get := func(rs *promote.RevisionSummary) *Release {
		if rs == nil {
			return nil
		}
		rec, err := store.Get(diff.NewRedactor().Context(ctx), rs.Revision)
		if err != nil {
			errs = append(errs, err)
			return &Release{Summary: release.Summary{Revision: rs.Revision, Status: release.Status(rs.Status), Started: rs.Started, Reason: rs.Reason}}
		}
		return summary(rec)
	}
	v.Current = get(st.Current)
	if st.Latest != nil && st.Current != nil && st.Latest.Revision == st.Current.Revision {
		v.Latest = v.Current
	} else {
		v.Latest = get(st.Latest)
	}
	return errors.Join(errs...)
}

// Release is a record as the page shows it: its summary (never the
// manifest, which may hold Secrets), when it became healthy, and its
// duration in seconds for the history plot.
type Release struct {
	release.Summary
	HealthySince time.Time `json:"healthySince,omitzero"`
	Seconds      float64   `json:"seconds,omitempty"`
	// DetectedAfter is, for a failed release, the seconds from its start
	// to the watch seeing the failure: the time to detection.
	DetectedAfter float64 `json:"detectedAfter,omitempty"`
	// Analysis are the release's analysis runs with every measurement,
	// in the history only.
	Analysis []analysis.Result `json:"analysis,omitempty"`
}

func summary(r *release.Record) *Release {
	rel := &Release{Summary: r.Summary(), HealthySince: r.HealthySince, Seconds: r.Duration().Seconds()}
	if f := r.Failure; f != nil && !f.Detected.IsZero() && !r.Started.IsZero() && f.Detected.After(r.Started) {
		rel.DetectedAfter = f.Detected.Sub(r.Started).Seconds()
	}
	return rel
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
