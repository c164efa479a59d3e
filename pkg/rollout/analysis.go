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

// PhaseAnalysis is the phase of a rollout state while an analysis runs.
const PhaseAnalysis = "analysis"

// inconclusiveError is what Switch.Analyze returns when the measurements
// call for a person's decision (see analysis.Failure).
type inconclusiveError interface {
	error
	Inconclusive() bool
}

// isInconclusive says whether err asks for resume or abort rather than an
// undo.
func isInconclusive(err error) bool {
	var ie inconclusiveError
	return errors.As(err, &ie) && ie.Inconclusive()
}

// analyze runs a (named for messages, e.g. "canary step 2") through
// s.Analyze while the fail-fast watch keeps following objs: whichever
// fails first decides. A nil a passes.
func (s *Switch) analyze(ctx context.Context, name string, a *pipeline.Analysis, objs []*unstructured.Unstructured) error {
	if a == nil {
		return nil
	}
	if s.Analyze == nil {
		return fmt.Errorf("%s: analysis is configured but this command cannot run it", name)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watched := make(chan error, 1)
	if len(objs) > 0 {
		go func() { watched <- s.Watch(wctx, objs, s.Health.Timeout.D(), forever) }()
	}
	done := make(chan error, 1)
	go func() {
		if err := s.Analyze(wctx, name, a); err != nil {
			done <- fmt.Errorf("%s: %w", name, err)
			return
		}
		done <- nil
	}()
	select {
	case err := <-done:
		return err
	case err := <-watched:
		if ctx.Err() == nil && err != nil {
			cancel()
			<-done
			return err
		}
		return <-done
	}
}

// rollingAnalysis runs strategy.analysis of a rolling environment once the
// release is healthy. Without a rollout state to pause in, an inconclusive
// result fails the release like a failed one.
func (s *Switch) rollingAnalysis(ctx context.Context, applied []*unstructured.Unstructured) error {
	if s.Env == nil || s.Env.Strategy.Name() != release.StrategyRolling || s.Env.Strategy.Analysis == nil {
		return nil
	}
	s.Emit("analysis", "revision %d is healthy: running its analysis", s.Revision)
	return s.analyze(ctx, "analysis", s.Env.Strategy.Analysis, workloads(applied))
}

// analysis runs a at step of a tracked rollout. An inconclusive result
// pauses the rollout with the measurements as its reason until `resume`
// (go on) or `abort` (undo). After a switch (blue-green post-promotion)
// the phase stays "switched", which is what a takeover resumes from.
func (t *tracker) analysis(ctx context.Context, s *Switch, step int, name string, a *pipeline.Analysis,
	objs []*unstructured.Unstructured, resume <-chan release.Request) error {
	if a == nil {
		return nil
	}
	prev := t.state().Phase
	running, paused := PhaseAnalysis, PhasePaused
	if prev == PhaseSwitched {
		running, paused = prev, prev
	}
	if err := t.save(ctx, func(st *release.State) {
		st.Phase, st.Step, st.Paused, st.Message = running, step, false, name+": analysis running"
	}); err != nil {
		return err
	}
	err := s.analyze(ctx, name, a, objs)
	if err != nil && !isInconclusive(err) {
		return stepErr(ctx, err)
	}
	if err != nil {
		if err := t.pauseInconclusive(ctx, s, paused, err, objs, resume); err != nil {
			return err
		}
	}
	return t.save(ctx, func(st *release.State) {
		st.Phase, st.Paused, st.PauseReason, st.PauseStarted, st.Message = prev, false, "", time.Time{}, name+": analysis passed"
	})
}

// pauseInconclusive holds the rollout until someone decides.
func (t *tracker) pauseInconclusive(ctx context.Context, s *Switch, phase string, why error,
	objs []*unstructured.Unstructured, resume <-chan release.Request) error {
	reason := fmt.Sprintf("%v; `kubectl promote resume %s` goes on, `abort` goes back", why, s.Env.Name)
	if err := t.save(ctx, func(st *release.State) {
		st.Phase, st.Paused, st.PauseReason, st.PauseStarted, st.Message = phase, true, reason, s.clock().Now(), ""
	}); err != nil {
		return err
	}
	s.Emit(t.phase, "paused: %s", reason)
	return t.hold(ctx, s, objs, 0, resume)
}
