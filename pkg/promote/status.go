package promote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// HealthUnknown is the health of an environment without a successful
// release: there is nothing whose health could be judged.
const HealthUnknown = "unknown"

// EnvStatus is where one environment stands: its records, the live health
// of its current release, a rollout in progress and who holds its lock.
type EnvStatus struct {
	Environment string `json:"environment"`
	Namespace   string `json:"namespace"`
	Strategy    string `json:"strategy"`
	// Current is the newest successful release, the one running.
	Current *RevisionSummary `json:"current,omitempty"`
	// Latest is the newest release whatever its outcome.
	Latest *RevisionSummary `json:"latest,omitempty"`
	// Health is Healthy or Unhealthy from the live objects of Current,
	// HealthUnknown without one.
	Health  string         `json:"health"`
	Objects []ObjectHealth `json:"objects,omitempty"`
	Lock    *LockStatus    `json:"lock,omitempty"`
	Rollout *release.State `json:"rollout,omitempty"`
	// TakenOverFrom is the Helm release the environment was taken over
	// from (helm-import, or the first apply), while its record is kept;
	// without its values.
	TakenOverFrom *release.HelmOrigin `json:"takenOverFrom,omitempty"`
	// Interrupted is set when a rollout state is left but no process
	// holds the lock: the one that drove it went away.
	Interrupted bool `json:"interrupted,omitempty"`
	// Problems are the parts that could not be read (lock, rollout
	// state); Status also returns them as its error.
	Problems []string `json:"problems,omitempty"`
}

// RevisionSummary is one release record without its manifest.
type RevisionSummary struct {
	Revision  int       `json:"revision"`
	Status    string    `json:"status"`
	Artifacts []string  `json:"artifacts,omitempty"`
	Started   time.Time `json:"started"`
	Reason    string    `json:"reason,omitempty"`
}

// LockStatus names who holds the environment's lock.
type LockStatus struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
	// Gone is set when the holder is a process of this host that no
	// longer runs (killed): the lock only waits for its lease to expire.
	Gone bool `json:"gone,omitempty"`
}

// StatusOptions tune Status.
type StatusOptions struct {
	// Now is the clock lock expiry is judged by; nil means time.Now.
	Now func() time.Time
}

// Status reads t's records, the live health of its current release, its
// rollout state and its lock. Without the records it fails (exit 3).
// When only the lock or the rollout state cannot be read it returns what
// it has, those parts listed in Problems, and an error naming them.
func Status(ctx context.Context, t Target, o StatusOptions) (*EnvStatus, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	st := &EnvStatus{Environment: t.Env.Name, Namespace: t.Namespace(), Strategy: t.Env.Strategy.Name(), Health: HealthUnknown}
	store := t.Store()
	recs, err := store.List(ctx)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history of %s: %w", t.Env.Name, err))
	}
	var problems []error
	if err := readReleases(ctx, t, st, recs); err != nil {
		problems = append(problems, err)
	}
	if err := readLock(ctx, t, st); err != nil {
		problems = append(problems, err)
	}
	if err := readRollout(ctx, store, st, o.Now()); err != nil {
		problems = append(problems, err)
	}
	for _, p := range problems {
		st.Problems = append(st.Problems, p.Error())
	}
	return st, exitcode.With(exitcode.Cluster, errors.Join(problems...))
}

// readReleases fills Latest, Current and the live health of Current. A
// health read cut short by ctx leaves the health unknown rather than
// calling objects that were never read unhealthy.
func readReleases(ctx context.Context, t Target, st *EnvStatus, recs []*release.Record) error {
	if len(recs) > 0 {
		st.Latest = summarize(recs[0])
	}
	st.TakenOverFrom = helmOrigin(recs)
	for _, r := range recs {
		if r.Status != release.Succeeded {
			continue
		}
		st.Current = summarize(r)
		st.Objects, st.Health = Health(ctx, t.Clients, rollout.LiveRefs(ctx, t.Clients, t.Env, r.Inventory))
		if err := ctx.Err(); err != nil {
			st.Health = HealthUnknown
			return fmt.Errorf("health of revision %d (%d objects): %w", r.Revision, len(r.Inventory), err)
		}
		return nil
	}
	return nil
}

func readLock(ctx context.Context, t Target, st *EnvStatus) error {
	h, exp, err := release.CurrentHolder(ctx, t.typed(), t.Namespace(), t.PipelineName(), t.Env.Name)
	if err != nil || h == nil {
		return err
	}
	st.Lock = &LockStatus{Holder: h.String(), Gone: processGone(*h, thisHost(), pidAlive)}
	if exp != nil {
		st.Lock.Expires = *exp
	}
	return nil
}

func readRollout(ctx context.Context, store *release.Store, st *EnvStatus, now time.Time) error {
	state, _, err := store.State(ctx)
	if err != nil || state == nil {
		return err
	}
	st.Rollout = state
	// A blue-green delay handed to the guard is driven by it, not by a
	// lock holder.
	st.Interrupted = state.Phase != rollout.PhaseHandedOff && (st.Lock == nil || !st.Lock.Expires.After(now))
	return nil
}

func summarize(r *release.Record) *RevisionSummary {
	s := &RevisionSummary{Revision: r.Revision, Status: string(r.Status), Started: r.Started, Reason: r.Reason}
	for _, a := range r.Artifacts {
		s.Artifacts = append(s.Artifacts, ArtifactText(a))
	}
	return s
}

// helmOrigin is the Helm release the oldest of recs that took one over
// came from, without its values; nil when none did.
func helmOrigin(recs []*release.Record) *release.HelmOrigin {
	for i := len(recs) - 1; i >= 0; i-- {
		if o := recs[i].Origin; o != nil && o.Helm != nil {
			h := *o.Helm
			h.Values = nil
			return &h
		}
	}
	return nil
}
