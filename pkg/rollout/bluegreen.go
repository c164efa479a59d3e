package rollout

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Phases of a blue-green rollout, besides PhasePaused and PhaseAborting.
const (
	PhasePreview  = "preview"
	PhaseSwitched = "switched"
	// PhaseHandedOff: switched, and the scale-down of the old colour is
	// left to the running guard (see GuardHeartbeatName).
	PhaseHandedOff = "handed-off"
)

// blueGreenSteps are the steps a blue-green State counts: preview,
// promotion gate, switch and scale-down delay.
const blueGreenSteps = 3

// BlueGreen runs the new release beside the active one in the other colour
// (docs/switching.md): <name>-blue and <name>-green Deployments, the preview Service
// on the new colour, then, once it is healthy (and resumed when
// autoPromote is false), the active Service's selector flips to it in one
// update. The old colour keeps running for scaleDownDelay, during which an
// undo flips the selector back, and is then scaled to zero.
type BlueGreen struct {
	Spec pipeline.BlueGreen
	// Poll is how often the state is read for resume and abort requests.
	Poll time.Duration
}

func newBlueGreen(env *pipeline.Environment) Strategy {
	return &BlueGreen{Spec: *env.Strategy.BlueGreen, Poll: DefaultPoll}
}

// autoPromote tells whether the switch needs no `resume` (the default).
func (b *BlueGreen) autoPromote() bool {
	return b.Spec.AutoPromote == nil || *b.Spec.AutoPromote
}

// Rollout runs the new colour, switches to it and scales the old one
// down, from where the saved state says the rollout of this revision
// stands. With no side live yet (a first release) the new colour becomes
// active directly.
func (b *BlueGreen) Rollout(ctx context.Context, s *Switch) error {
	r, err := b.newRun(s)
	if err != nil {
		return err
	}
	from, ok, err := r.plan.liveSide(ctx, s.Clients, s.Namespace)
	if err != nil {
		return err
	}
	if !ok {
		return r.first(ctx)
	}
	return r.run(ctx, from)
}

func (b *BlueGreen) newRun(s *Switch) (*blueGreenRun, error) {
	prev, err := s.PreviousObjects()
	if err != nil {
		return nil, err
	}
	plan, err := newBlueGreenPlan(b.Spec, s.Objects, prev)
	if err != nil {
		return nil, err
	}
	return &blueGreenRun{b: b, s: s, plan: plan, prev: prev}, nil
}

// blueGreenRun is one blue-green rollout in progress.
type blueGreenRun struct {
	b      *BlueGreen
	s      *Switch
	plan   *blueGreenPlan
	prev   []*unstructured.Unstructured
	t      *tracker
	resume chan release.Request
	from   side
	to     string
	fresh  []*unstructured.Unstructured // the new colour's Deployments as applied
}

// first deploys a release straight onto blue, active at once: there is
// no live side to keep serving while it starts.
func (r *blueGreenRun) first(ctx context.Context) error {
	r.to = ColorBlue
	fresh := release.State{Strategy: release.StrategyBlueGreen, Phase: PhasePreview, Step: 1, Steps: blueGreenSteps, CanaryRevision: r.s.Revision,
		Weights: map[string]int{r.to: 100}, BlueGreen: &release.BlueGreenState{To: r.to}}
	t, _, err := startTracker(ctx, r.s, fresh, "blue-green")
	if err != nil {
		return err
	}
	objs := r.plan.colored(r.s.Objects, r.to, side{Color: r.to})
	r.s.Emit("blue-green", "revision %d: no active colour yet: %s becomes active directly", r.s.Revision, r.to)
	applied, err := Apply(ctx, r.s.Clients, objs, r.s.ApplyOptions(false))
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if err := r.s.Watch(ctx, applied, r.s.Health.Timeout.D(), r.s.Health.Verify.D()); err != nil {
		return err
	}
	return t.clear(ctx)
}

func (r *blueGreenRun) run(ctx context.Context, live side) error {
	for _, n := range r.plan.notes {
		r.s.Emit("blue-green", "warning: %s", n)
	}
	stable := 0
	if r.s.Previous != nil {
		stable = r.s.Previous.Revision
	}
	to := live.other()
	fresh := release.State{Strategy: release.StrategyBlueGreen, Phase: PhasePreview, Step: 1, Steps: blueGreenSteps,
		StableRevision: stable, CanaryRevision: r.s.Revision, Weights: map[string]int{live.String(): 100, to: 0},
		BlueGreen: &release.BlueGreenState{From: live.Color, FromHash: live.Hash, To: to}}
	t, resumed, err := startTracker(ctx, r.s, fresh, "blue-green")
	if err != nil {
		return err
	}
	st := t.state()
	r.t, r.resume = t, make(chan release.Request, 1)
	r.from, r.to = sidesOf(st.BlueGreen)
	if resumed {
		r.s.Emit("blue-green", "continuing the rollout of revision %d at %s", r.s.Revision, describeState(st))
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go t.watchRequests(ctx, r.poll(), cancel, r.resume)
	return stepErr(ctx, r.steps(ctx, st))
}

func (r *blueGreenRun) poll() time.Duration {
	if r.b.Poll > 0 {
		return r.b.Poll
	}
	return DefaultPoll
}

// steps runs what is left of preview, gate, switch and delay.
func (r *blueGreenRun) steps(ctx context.Context, st release.State) error {
	if st.Phase != PhaseSwitched {
		if err := r.preview(ctx); err != nil {
			return err
		}
		if err := r.t.analysis(ctx, r.s, 1, "prePromotionAnalysis", r.b.Spec.PrePromotionAnalysis, r.fresh, r.resume); err != nil {
			return err
		}
		if err := r.gate(ctx); err != nil {
			return err
		}
		if err := r.switchOver(ctx); err != nil {
			return err
		}
		if err := r.t.analysis(ctx, r.s, 3, "postPromotionAnalysis", r.b.Spec.PostPromotionAnalysis, r.fresh, r.resume); err != nil {
			return err
		}
		if handed, err := r.handOff(ctx); handed || err != nil {
			return err
		}
	}
	if err := r.delay(ctx); err != nil {
		return err
	}
	return r.scaleDown(ctx)
}

// preview applies the release in the new colour, the active Service still
// on the old side and the preview Service on the new colour, and waits
// until it is healthy.
func (r *blueGreenRun) preview(ctx context.Context) error {
	if err := r.t.save(ctx, func(st *release.State) { st.Phase, st.Step = PhasePreview, 1 }); err != nil {
		return err
	}
	objs := r.plan.colored(r.s.Objects, r.to, r.from)
	r.s.Emit("blue-green", "step 1/%d: revision %d on %s beside %s (active); preview Service %s → %s",
		blueGreenSteps, r.s.Revision, r.to, r.from, orNone(r.b.Spec.PreviewService), r.to)
	applied, err := Apply(ctx, r.s.Clients, objs, r.s.ApplyOptions(false))
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	r.fresh = r.plan.targetsIn(applied, r.to)
	return r.s.Watch(ctx, applied, r.s.Health.Timeout.D(), -1)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// gate waits for `resume` when autoPromote is false, watching the new
// colour meanwhile.
func (r *blueGreenRun) gate(ctx context.Context) error {
	if r.b.autoPromote() {
		return nil
	}
	reason := fmt.Sprintf("waiting for `kubectl promote resume %s` to switch Service %s to %s (or `abort`)", r.s.Env.Name, r.b.Spec.ActiveService, r.to)
	if err := r.t.save(ctx, func(st *release.State) {
		st.Phase, st.Step, st.Paused, st.PauseReason, st.PauseStarted = PhasePaused, 2, true, reason, r.s.clock().Now()
	}); err != nil {
		return err
	}
	r.s.Emit("blue-green", "step 2/%d: paused: %s", blueGreenSteps, reason)
	if err := r.t.hold(ctx, r.s, r.fresh, 0, r.resume); err != nil {
		return err
	}
	return r.t.save(ctx, func(st *release.State) { st.Paused, st.PauseReason, st.PauseStarted = false, "", time.Time{} })
}

// switchOver flips the active Service's selector to the new colour: one
// update. The state records when the old side is to be scaled down.
func (r *blueGreenRun) switchOver(ctx context.Context) error {
	svc := r.plan.activeService(r.s.Objects, side{Color: r.to})
	if _, err := ApplyOne(ctx, r.s.Clients, svc, r.s.ApplyOptions(false)); err != nil {
		return err
	}
	if err := r.applyScalers(ctx, r.s.Objects, side{Color: r.to}, false); err != nil {
		return err
	}
	at := r.s.clock().Now().Add(r.b.Spec.ScaleDownDelay.D())
	r.s.Emit("blue-green", "step 3/%d: switched %s to %s; %s keeps running until %s (an undo until then flips back)",
		blueGreenSteps, kube.RefOf(svc), r.to, r.from, at.Format(time.TimeOnly))
	return r.t.save(ctx, func(st *release.State) {
		st.Phase, st.Step, st.Weights = PhaseSwitched, 3, map[string]int{r.to: 100, r.from.String(): 0}
		if st.BlueGreen == nil {
			st.BlueGreen = &release.BlueGreenState{From: r.from.Color, FromHash: r.from.Hash, To: r.to}
		}
		st.BlueGreen.ScaleDownAt = at.UTC()
		st.Message = fmt.Sprintf("%s active; %s kept until %s", r.to, r.from, at.Format(time.RFC3339))
	})
}

// handOff leaves the scale-down delay to a running guard, when there is
// one (its heartbeat Lease is renewed) and a delay to wait: the new colour
// is watched through the verify window, the state says the rollout is
// handed off, and the run ends there; the guard scales the old colour down
// when the delay ends, or flips back on a failure inside it.
func (r *blueGreenRun) handOff(ctx context.Context) (bool, error) {
	st := r.t.state()
	if st.BlueGreen == nil || !st.BlueGreen.ScaleDownAt.After(r.s.clock().Now().Add(r.s.Health.Verify.D())) {
		return false, nil
	}
	guard := handOffTo(ctx, r.s, "blue-green", "delay")
	if guard == "" {
		return false, nil
	}
	if err := r.s.Watch(ctx, r.fresh, r.s.Health.Timeout.D(), max(r.s.Health.Verify.D(), time.Millisecond)); err != nil {
		return false, err
	}
	at := st.BlueGreen.ScaleDownAt
	r.s.Emit("blue-green", "the guard (%s) scales %s down at %s (or flips back on a failure until then)", guard, r.from, at.Format(time.TimeOnly))
	return true, r.t.save(ctx, func(st *release.State) {
		st.Phase = PhaseHandedOff
		st.Message = fmt.Sprintf("%s active; %s kept until %s, then scaled down by the guard", r.to, r.from, at.Format(time.RFC3339))
	})
}

// GuardHeartbeatName is the Lease a running guard renews in an
// environment's namespace: promote-<pipeline>-<environment>-guard.
func GuardHeartbeatName(pipeline, environment string) string {
	return release.LeaseName(pipeline, environment) + "-guard"
}

// handOffTo returns the running guard a wait (a blue-green delay, a
// canary's pause) can be left to, or "" when it is waited out here: no
// live guard, an error looking for one (a warning), or this run is the
// guard's (Switch.NoHandOff).
func handOffTo(ctx context.Context, s *Switch, phase, wait string) string {
	if s.NoHandOff {
		return ""
	}
	guard, err := liveGuard(ctx, s)
	if err != nil {
		s.Emit(phase, "warning: looking for a guard: %v; waiting out the %s here", err, wait)
	}
	return guard
}

// liveGuard returns the holder of the environment's guard heartbeat while
// it is renewed, or "".
func liveGuard(ctx context.Context, s *Switch) (string, error) {
	name := GuardHeartbeatName(s.Owner[kube.LabelPipeline], s.Env.Name)
	l, err := s.Clients.Typed.CoordinationV1().Leases(s.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("%s: %w", refName("Lease", s.Namespace, name), err)
	}
	sp := l.Spec
	if sp.HolderIdentity == nil || sp.RenewTime == nil || sp.LeaseDurationSeconds == nil {
		return "", nil
	}
	if !sp.RenewTime.Add(time.Duration(*sp.LeaseDurationSeconds) * time.Second).After(s.clock().Now()) {
		return "", nil
	}
	return *sp.HolderIdentity, nil
}

// FinishHandOff ends a blue-green rollout handed off to the guard once its
// scale-down delay is over: the old colour is scaled to zero, what only
// the previous release had is pruned and the state is cleared. The state
// must still be the handed-off one of s.Revision.
func (b *BlueGreen) FinishHandOff(ctx context.Context, s *Switch) error {
	r, err := b.newRun(s)
	if err != nil {
		return err
	}
	t, err := loadTracker(ctx, s, "blue-green")
	if err != nil {
		return err
	}
	st := t.state()
	if st.Phase != PhaseHandedOff || st.CanaryRevision != s.Revision {
		return fmt.Errorf("revision %d is not handed off to the guard (rollout state: %s)", s.Revision, describeState(st))
	}
	r.t = t
	r.from, r.to = sidesOf(st.BlueGreen)
	return r.scaleDown(ctx)
}

// delay watches the new colour until the old side is to be scaled down
// (at least through the verify window): a failure still flips back.
func (r *blueGreenRun) delay(ctx context.Context) error {
	st := r.t.state()
	var at time.Time
	if st.BlueGreen != nil {
		at = st.BlueGreen.ScaleDownAt
	}
	verify := max(at.Sub(r.s.clock().Now()), r.s.Health.Verify.D(), time.Millisecond)
	if len(r.fresh) == 0 {
		r.fresh = r.plan.targetsIn(r.plan.colored(r.s.Objects, r.to, side{Color: r.to}), r.to)
	}
	return r.s.Watch(ctx, r.fresh, r.s.Health.Timeout.D(), verify)
}

// scaleDown scales the old colour to zero (the plain Deployment of a
// release from before blue-green is deleted), prunes what the previous
// release had and this one lacks, and ends the rollout.
func (r *blueGreenRun) scaleDown(ctx context.Context) error {
	if r.from.Color != "" {
		for _, d := range r.plan.targetsIn(r.plan.colored(r.prev, r.from.Color, r.from), r.from.Color) {
			if _, err := ApplyOne(ctx, r.s.Clients, withReplicas(d, 0), r.s.ApplyOptions(false)); err != nil {
				return err
			}
			r.s.Emit("blue-green", "scaled %s to 0", kube.RefOf(d))
		}
	} else if err := r.deletePlain(ctx); err != nil {
		return err
	}
	if r.s.Previous != nil {
		if err := r.s.prune(ctx, Missing(r.s.Previous.Inventory, Inventory(r.s.Objects)), ""); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	return r.t.clear(ctx)
}

// deletePlain deletes the targets' plain Deployments, now replaced by colours.
func (r *blueGreenRun) deletePlain(ctx context.Context) error {
	var refs []kube.ObjectRef
	for _, name := range r.plan.targets {
		refs = append(refs, kube.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: r.s.Namespace, Name: name})
	}
	return r.s.prune(ctx, refs, " (replaced by its blue-green colours)")
}

// Undo flips the active Service back first if it was switched, then puts
// the previous release back whole on its side and scales the failed colour
// to zero. A release that failed before changing anything leaves nothing
// to undo.
func (b *BlueGreen) Undo(ctx context.Context, s *Switch) error {
	r, err := b.newRun(s)
	if err != nil {
		return undoUnchanged(ctx, s)
	}
	st, _, err := s.Store.State(ctx)
	if err != nil {
		return err
	}
	if st == nil || st.CanaryRevision != s.Revision || st.BlueGreen == nil {
		return undoUnchanged(ctx, s)
	}
	r.from, r.to = sidesOf(st.BlueGreen)
	if r.from == (side{}) {
		err = r.undoFirst(ctx)
	} else {
		r.flipBack(ctx)
		if t, err := loadTracker(ctx, s, "undo"); err == nil && t.rv != "" {
			_ = t.save(ctx, func(st *release.State) {
				st.Phase, st.Paused, st.Message = PhaseAborting, false, "going back to "+r.from.String()
			})
		}
		err = r.restore(ctx)
	}
	if err != nil {
		return err
	}
	return s.Store.ClearState(ctx)
}

// undoUnchanged undoes a release that failed before it applied anything:
// only a first release's created objects may need deleting.
func undoUnchanged(ctx context.Context, s *Switch) error {
	if s.Previous == nil {
		return s.UndoFirst(ctx)
	}
	s.Emit("undo", "nothing was changed: revision %d keeps running", s.Previous.Revision)
	return nil
}

// flipBack points the active Service at the old side again if it selects
// the new colour.
func (r *blueGreenRun) flipBack(ctx context.Context) {
	live, err := r.s.Clients.Typed.CoreV1().Services(r.s.Namespace).Get(ctx, r.b.Spec.ActiveService, metav1.GetOptions{})
	if err != nil || live.Spec.Selector[LabelColor] != r.to {
		return
	}
	svc := r.plan.activeService(r.prev, r.from)
	if svc == nil {
		svc = r.plan.activeService(r.s.Objects, r.from)
	}
	if _, err := ApplyOne(ctx, r.s.Clients, svc, r.s.ApplyOptions(true)); err != nil {
		r.s.Emit("undo", "warning: flipping %s back: %v", kube.RefOf(svc), err)
		return
	}
	r.s.Emit("undo", "traffic is back on %s (%s flipped back)", r.from, kube.RefOf(svc))
	if err := r.applyScalers(ctx, r.prev, r.from, true); err != nil {
		r.s.Emit("undo", "warning: %v", err)
	}
}

// applyScalers points the HPAs of objs that scale a target at side sd, as
// the active Service is switched: the side serving traffic is the one
// scaled.
func (r *blueGreenRun) applyScalers(ctx context.Context, objs []*unstructured.Unstructured, sd side, force bool) error {
	for _, h := range r.plan.scalers(objs, sd) {
		if _, err := ApplyOne(ctx, r.s.Clients, h, r.s.ApplyOptions(force)); err != nil {
			return err
		}
		_, name, _ := scaleTarget(h)
		r.s.Emit("blue-green", "%s scales Deployment %s (%s)", kube.RefOf(h), name, sd)
	}
	return nil
}

// restore scales the new colour to zero, re-applies the previous release
// on the old side, prunes what the failed release added and waits for the
// old side to be healthy.
func (r *blueGreenRun) restore(ctx context.Context) error {
	s := r.s
	for _, d := range r.plan.targetsIn(r.plan.colored(s.Objects, r.to, r.from), r.to) {
		if _, err := ApplyOne(ctx, s.Clients, withReplicas(d, 0), s.ApplyOptions(true)); err != nil {
			return err
		}
		s.Emit("undo", "scaled %s to 0", kube.RefOf(d))
	}
	prev := r.prev
	if r.from.Color != "" {
		prev = r.plan.colored(r.prev, r.from.Color, r.from)
	} else {
		waitPodsGone(ctx, s, map[string]string{LabelColor: r.to})
	}
	s.Emit("undo", "re-applying revision %d whole on %s", s.Previous.Revision, r.from)
	applied, err := Apply(ctx, s.Clients, prev, s.ApplyOptions(true))
	if err != nil {
		return fmt.Errorf("re-applying revision %d: %w", s.Previous.Revision, err)
	}
	if err := s.prune(ctx, Missing(Inventory(s.Objects), s.Previous.Inventory), " (added by the failed revision)"); err != nil {
		return err
	}
	if err := s.Watch(ctx, applied, s.Health.UndoTimeout.D(), 0); err != nil {
		return fmt.Errorf("revision %d is not healthy again: %w", s.Previous.Revision, err)
	}
	s.Emit("undo", "revision %d is healthy again", s.Previous.Revision)
	return nil
}

// undoFirst undoes a release that went straight onto its colour: the
// colour Deployments are deleted, then the objects the release created (a
// first release) or the previous release is put back whole.
func (r *blueGreenRun) undoFirst(ctx context.Context) error {
	s := r.s
	var refs []kube.ObjectRef
	for _, name := range r.plan.targets {
		refs = append(refs, kube.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: s.Namespace, Name: colorName(name, r.to)})
	}
	if err := s.prune(ctx, refs, ""); err != nil {
		return err
	}
	if s.Previous == nil {
		return s.UndoFirst(ctx)
	}
	return Rolling{}.Undo(ctx, s)
}

// sidesOf returns the colour served before and the new one of a
// blue-green state.
func sidesOf(bg *release.BlueGreenState) (side, string) {
	if bg == nil {
		return side{}, ""
	}
	return side{Color: bg.From, Hash: bg.FromHash}, bg.To
}

// BlueGreenLive returns objs, a release of a blue-green environment, as
// they run while the release is active: each target Deployment as
// <name>-<colour> of the colour the live active Service selects (the plain
// Deployments of a release from before blue-green as they are). The guard
// watches these.
func BlueGreenLive(ctx context.Context, c *kube.Clients, namespace string, spec pipeline.BlueGreen, objs []*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	plan, err := newBlueGreenPlan(spec, objs, nil)
	if err != nil {
		return nil, err
	}
	sd, ok, err := plan.liveSide(ctx, c, namespace)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("%s: no active colour: the release is not running", refName("Service", namespace, spec.ActiveService))
	case sd.Color == "":
		return objs, nil
	}
	return plan.colored(objs, sd.Color, sd), nil
}
