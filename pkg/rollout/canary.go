package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Phases of a canary rollout, as its State shows them.
const (
	PhaseSetup     = "setup"
	PhaseStep      = "step"
	PhasePaused    = "paused"
	PhasePromoting = "promoting"
	PhaseAborting  = "aborting"
)

// Track names of State.Weights.
const (
	TrackStable = "stable"
)

// Canary runs the new pod template of each changed Deployment as
// <name>-canary beside the stable one and moves traffic to it step by step
// (docs/switching.md): by an NGINX canary Ingress, by HTTPRoute weights, or by the
// canary's share of pods. After the last step the stable Deployment takes
// the new template and the canary objects go away. Every step is saved in
// the rollout state, so that `status` shows it and `resume`/`abort` reach
// it from anywhere.
type Canary struct {
	Spec pipeline.Canary
	// Poll is how often the state is read for resume and abort requests.
	Poll time.Duration
}

func newCanary(env *pipeline.Environment) Strategy {
	return &Canary{Spec: *env.Strategy.Canary, Poll: DefaultPoll}
}

// Rollout runs the steps from where the saved state says the rollout of
// this revision stands (the beginning for a new one). A first release, or
// one that changes no Deployment's pod template, is rolled out directly.
func (c *Canary) Rollout(ctx context.Context, s *Switch) error {
	prev, err := s.PreviousObjects()
	if err != nil {
		return err
	}
	plan, err := newCanaryPlan(c.Spec, s.Objects, prev)
	if err != nil {
		return err
	}
	switch {
	case s.Previous == nil:
		s.Emit("canary", "first release: nothing runs yet to compare a canary with; applying revision %d directly", s.Revision)
		return Rolling{}.Rollout(ctx, s)
	case len(plan.targets) == 0:
		s.Emit("canary", "no running Deployment changes its pod template: applying revision %d directly", s.Revision)
		return Rolling{}.Rollout(ctx, s)
	}
	for _, n := range plan.notes {
		s.Emit("canary", "warning: %s", n)
	}
	if err := plan.liveTotals(ctx, s.Clients); err != nil {
		return err
	}
	r := &canaryRun{c: c, s: s, plan: plan}
	return r.run(ctx)
}

// canaryRun is one canary rollout in progress.
type canaryRun struct {
	c       *Canary
	s       *Switch
	plan    *canaryPlan
	t       *tracker
	resume  chan release.Request
	started []*unstructured.Unstructured // workloads applied at the start, watched at every step
	canary  []*unstructured.Unstructured // canary Deployments as last applied
}

func (r *canaryRun) run(ctx context.Context) error {
	n := len(r.c.Spec.Steps)
	fresh := release.State{Strategy: release.StrategyCanary, Phase: PhaseSetup, Steps: n, StableRevision: r.s.Previous.Revision,
		CanaryRevision: r.s.Revision, Weights: weights(0)}
	t, resumed, err := startTracker(ctx, r.s, fresh, "canary")
	if err != nil {
		return err
	}
	r.t, r.resume = t, make(chan release.Request, 1)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go t.watchRequests(ctx, r.poll(), cancel, r.resume)
	st := t.state()
	if resumed {
		r.s.Emit("canary", "continuing the rollout of revision %d at %s", r.s.Revision, describeState(st))
	}
	if st.Phase != PhasePromoting {
		if err := r.setup(ctx, st.Weights[TrackCanary]); err != nil {
			return stepErr(ctx, err)
		}
		for i := max(st.Step, 1); i <= n; i++ {
			if err := r.step(ctx, i); err != nil {
				return stepErr(ctx, err)
			}
		}
	}
	return stepErr(ctx, r.promote(ctx))
}

func (r *canaryRun) poll() time.Duration {
	if r.c.Poll > 0 {
		return r.c.Poll
	}
	return DefaultPoll
}

// weights is State.Weights at a canary weight.
func weights(canary int) map[string]int {
	return map[string]int{TrackStable: 100 - canary, TrackCanary: canary}
}

// setup applies the release but the targets' new templates, with the
// canary at weight (0, or where a resumed rollout stood).
func (r *canaryRun) setup(ctx context.Context, weight int) error {
	pins, err := r.pins(ctx)
	if err != nil {
		return err
	}
	start := r.plan.startObjects(pins, weight)
	r.s.Emit("canary", "revision %d: applying %d objects; the stable Deployments keep revision %d", r.s.Revision, len(start), r.s.Previous.Revision)
	applied, err := Apply(ctx, r.s.Clients, start, r.s.ApplyOptions(false))
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	r.started = workloads(applied)
	return r.scale(ctx, weight)
}

// pins returns, for each Service of a routed target, the pod-template-hash
// of the stable pods it must keep selecting.
func (r *canaryRun) pins(ctx context.Context) (map[string]string, error) {
	pins := map[string]string{}
	for _, t := range r.plan.targets {
		if !t.routed() {
			continue
		}
		h, err := stableHash(ctx, r.s.Clients, t.stable.GetNamespace(), t.stable.GetName())
		if err != nil {
			return nil, err
		}
		for _, svc := range t.services {
			pins[svc.GetName()] = h
		}
	}
	return pins, nil
}

// scale runs each canary at its share of weight and, for targets split by
// pod count, the stable side at the rest. The canary grows first and the
// stable side shrinks only once the canary is healthy.
func (r *canaryRun) scale(ctx context.Context, weight int) error {
	r.canary = r.canary[:0]
	for _, t := range r.plan.targets {
		got, err := ApplyOne(ctx, r.s.Clients, t.canary(canaryReplicas(weight, t.total)), r.s.ApplyOptions(false))
		if err != nil {
			return err
		}
		r.canary = append(r.canary, got)
	}
	if err := r.s.Watch(ctx, r.watched(), r.s.Health.Timeout.D(), -1); err != nil {
		return err
	}
	for _, t := range r.plan.targets {
		if t.routed() {
			continue
		}
		if err := r.scaleStable(ctx, t, t.total-canaryReplicas(weight, t.total)); err != nil {
			return err
		}
	}
	return nil
}

// scaleStable runs the stable side of t at n replicas. An HPA owns the
// replicas of a Deployment it scales: applying them would conflict with
// it, or, forced, take the field over and lose it (back to 1 replica) at
// the release's apply, which leaves it out. Those go through the scale
// subresource, as the HPA itself does.
func (r *canaryRun) scaleStable(ctx context.Context, t *canaryTarget, n int64) error {
	if !t.scaled {
		_, err := ApplyOne(ctx, r.s.Clients, withReplicas(t.stable, n), r.s.ApplyOptions(false))
		return err
	}
	return setScale(ctx, r.s.Clients, t.stable.GetNamespace(), t.stable.GetName(), int32(n), r.s.ApplyOptions(false).FieldManager)
}

// watched are the objects the fail-fast watch follows during the steps.
func (r *canaryRun) watched() []*unstructured.Unstructured {
	return append(append([]*unstructured.Unstructured{}, r.canary...), r.started...)
}

// workloads keeps the objects whose pods the watch inspects.
func workloads(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range objs {
		switch u.GroupVersionKind().GroupKind().String() {
		case "Deployment.apps", "StatefulSet.apps", "DaemonSet.apps":
			out = append(out, u)
		}
	}
	return out
}

// step runs step i (1-based).
func (r *canaryRun) step(ctx context.Context, i int) error {
	st := r.c.Spec.Steps[i-1]
	switch {
	case st.Weight != nil:
		return r.setWeight(ctx, i, *st.Weight)
	case st.Pause != nil:
		return r.pause(ctx, i, st.Pause.Duration.D())
	case st.Analysis != nil:
		name := fmt.Sprintf("canary step %d/%d", i, len(r.c.Spec.Steps))
		r.s.Emit("canary", "%s: analysis of the canary at %d%%", name, r.t.state().Weights[TrackCanary])
		return r.t.analysis(ctx, r.s, i, name, st.Analysis, r.watched(), r.resume)
	}
	return nil
}

// setWeight scales the canary to its share of weight, waits for it to be
// healthy, and only then sends it that share of the traffic.
func (r *canaryRun) setWeight(ctx context.Context, i, weight int) error {
	n := len(r.c.Spec.Steps)
	if err := r.t.save(ctx, func(st *release.State) {
		st.Phase, st.Step, st.Paused, st.Message = PhaseStep, i, false, fmt.Sprintf("setting weight %d%%", weight)
	}); err != nil {
		return err
	}
	r.s.Emit("canary", "step %d/%d: weight %d%%: %s", i, n, weight, r.describeScale(weight))
	if err := r.scale(ctx, weight); err != nil {
		return err
	}
	if rt := r.plan.router; rt != nil && len(r.plan.canaryBackends()) > 0 {
		objs := rt.objects(weight, r.plan.canaryBackends())
		if _, err := Apply(ctx, r.s.Clients, objs, r.s.ApplyOptions(false)); err != nil {
			return err
		}
	}
	r.s.Emit("canary", "step %d/%d: %d%% of the traffic on the canary", i, n, weight)
	return r.t.save(ctx, func(st *release.State) {
		st.Weights, st.Message = weights(weight), fmt.Sprintf("weight %d%%", weight)
	})
}

func (r *canaryRun) describeScale(weight int) string {
	s := ""
	for i, t := range r.plan.targets {
		if i > 0 {
			s += ", "
		}
		c := canaryReplicas(weight, t.total)
		s += fmt.Sprintf("%s %d/%d replicas", canaryName(t.next.GetName()), c, t.total)
		if !t.routed() {
			s += fmt.Sprintf(" (stable %d)", t.total-c)
		}
	}
	return s
}

// pause holds at step i for d, or until resumed when d is 0; a rollout
// resumed in the middle of a timed pause waits only for what is left.
func (r *canaryRun) pause(ctx context.Context, i int, d time.Duration) error {
	prev := r.t.state()
	started := r.s.clock().Now()
	if prev.Paused && prev.Step == i && !prev.PauseStarted.IsZero() {
		started = prev.PauseStarted
	}
	left := d
	if d > 0 {
		left = max(d-r.s.clock().Since(started), time.Millisecond)
	}
	reason := r.pauseReason(d, started)
	if handed, err := r.handOff(ctx, i, started, d, left, reason); handed || err != nil {
		return err
	}
	if err := r.t.save(ctx, func(st *release.State) {
		st.Phase, st.Step, st.Paused, st.PauseReason, st.PauseStarted = PhasePaused, i, true, reason, started
		st.Message = ""
	}); err != nil {
		return err
	}
	r.s.Emit("canary", "step %d/%d: paused: %s", i, len(r.c.Spec.Steps), reason)
	if err := r.t.hold(ctx, r.s, r.watched(), left, r.resume); err != nil {
		return err
	}
	return r.t.save(ctx, func(st *release.State) {
		st.Paused, st.PauseReason, st.PauseStarted = false, "", time.Time{}
	})
}

// handOff leaves a timed pause, and the rest of the rollout, to a
// running guard when there is one (its heartbeat Lease is renewed) and the
// pause is longer than the verify window: the state says so and the run
// ends with ErrHandedOff, its record still progressing; the guard takes
// the rollout over at once (it watches the canary through the pause) and
// carries it on from this step.
func (r *canaryRun) handOff(ctx context.Context, i int, started time.Time, d, left time.Duration, reason string) (bool, error) {
	if d <= 0 || left <= r.s.Health.Verify.D() {
		return false, nil
	}
	guard := handOffTo(ctx, r.s, "canary", "pause")
	if guard == "" {
		return false, nil
	}
	if err := r.t.save(ctx, func(st *release.State) {
		st.Phase, st.Step, st.Paused, st.PauseStarted = PhaseHandedOff, i, true, started
		st.PauseReason, st.Message = reason+"; handed to the guard", ""
	}); err != nil {
		return false, err
	}
	r.s.Emit("canary", "step %d/%d: the guard (%s) holds the pause and carries the rollout on (`kubectl promote status %s` follows it)",
		i, len(r.c.Spec.Steps), guard, r.s.Env.Name)
	return true, ErrHandedOff
}

// ErrHandedOff ends a deploy whose rollout a running guard carries on (a
// canary's timed pause): the record stays progressing, nothing is undone.
var ErrHandedOff = errors.New("the rollout was handed to the guard")

func (r *canaryRun) pauseReason(d time.Duration, started time.Time) string {
	if d > 0 {
		return fmt.Sprintf("pause %s (until %s, or `kubectl promote resume %s`)", pipeline.Duration(d), started.Add(d).Format(time.TimeOnly), r.s.Env.Name)
	}
	return fmt.Sprintf("waiting for `kubectl promote resume %s` (or `abort`)", r.s.Env.Name)
}

// promote gives the stable Deployments the new template by applying the
// release whole (which also unpins the Services and restores the
// router's own object), watches it through the verify window, then
// removes the canary objects.
func (r *canaryRun) promote(ctx context.Context) error {
	if err := r.t.save(ctx, func(st *release.State) {
		st.Phase, st.Step, st.Paused, st.Message = PhasePromoting, len(r.c.Spec.Steps), false, "the stable Deployments take the new template"
	}); err != nil {
		return err
	}
	r.s.Emit("canary", "promoting: the stable Deployments take revision %d", r.s.Revision)
	if err := r.restoreScaled(ctx); err != nil {
		return err
	}
	if err := (Rolling{}).Rollout(ctx, r.s); err != nil {
		return err
	}
	if err := removeCanary(ctx, r.s); err != nil {
		return err
	}
	r.s.Emit("canary", "revision %d runs everywhere; the canary objects are removed", r.s.Revision)
	return r.t.clear(ctx)
}

// Undo sends all traffic back to the stable side first, then removes the
// canary objects and puts the previous release back whole (which leaves
// stable Deployments that never took the new template as they are).
func (c *Canary) Undo(ctx context.Context, s *Switch) error {
	what := trafficOff(ctx, s, c.Spec)
	if what != "" {
		s.Emit("undo", "traffic is back on the stable side (%s)", what)
	}
	t, err := loadTracker(ctx, s, "undo")
	if err == nil && t.rv != "" {
		_ = t.save(ctx, func(st *release.State) {
			st.Phase, st.Paused, st.Message = PhaseAborting, false, "going back to the stable release"
		})
	}
	waitPodsGone(ctx, s, map[string]string{LabelTrack: TrackCanary})
	if err := removeCanary(ctx, s); err != nil {
		return err
	}
	if err := (Rolling{}).Undo(ctx, s); err != nil {
		return err
	}
	return s.Store.ClearState(ctx)
}

// describeState reads like "step 2/4 (paused)".
func describeState(st release.State) string {
	s := fmt.Sprintf("step %d/%d", st.Step, st.Steps)
	if st.Phase != "" {
		s += " (" + st.Phase + ")"
	}
	return s
}
