package rollout

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/clock"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Strategy switches one release in and, on failure, back out. Rolling,
// canary and blue-green implement it.
type Strategy interface {
	// Rollout applies the new release and moves all traffic to it. It
	// returns nil once the release serves everything and passed its
	// verify window, or the reason it failed (a *watch.Failure for pod
	// signals). It must not undo anything itself.
	Rollout(ctx context.Context, s *Switch) error
	// Undo puts the previous release back, traffic first, with the
	// context's own time budget.
	Undo(ctx context.Context, s *Switch) error
}

// StateStore keeps a rollout's state and its release records
// (release.Store in a cluster).
type StateStore interface {
	State(ctx context.Context) (*release.State, string, error)
	SaveState(ctx context.Context, st *release.State, resourceVersion string) (string, error)
	ClearState(ctx context.Context) error
	Get(ctx context.Context, revision int) (*release.Record, error)
	Update(ctx context.Context, r *release.Record) error
}

// Switch is everything a strategy needs for one release.
type Switch struct {
	Clients   *kube.Clients
	Namespace string
	Env       *pipeline.Environment
	// Objects are the new release's objects, ready to apply (owner labels
	// set, Secrets' stringData folded into data).
	Objects []*unstructured.Unstructured
	// Previous is the release the environment ran before; nil for the first.
	Previous *release.Record
	// Revision is the new release's revision number.
	Revision int
	// Created lists the new release's objects that did not exist before
	// it (from the dry-run); UndoFirst deletes them.
	Created []kube.ObjectRef
	Owner   map[string]string
	Health  pipeline.Health
	Force   bool
	// NoHandOff: the process driving the rollout is the guard itself, so
	// nothing is handed off to a guard (see ErrHandedOff).
	NoHandOff bool
	// Store keeps the resumable rollout state (canary step, weights…).
	Store StateStore
	// Clock is the strategy's clock (scale-down deadlines, pauses); nil
	// means the real one.
	Clock clock.Clock
	// Watch waits for objs to be healthy through verify (see package watch).
	Watch func(ctx context.Context, objs []*unstructured.Unstructured, timeout, verify time.Duration) error
	// Emit reports progress.
	Emit func(phase, format string, args ...any)
	// Analyze runs an analysis (named for messages, e.g. "canary step 2")
	// and records it; its error carries the measured values, and one with
	// Inconclusive() true asks for resume or abort. Nil when none is set up.
	Analyze func(ctx context.Context, name string, a *pipeline.Analysis) error
}

// For returns the strategy of env.
func For(env *pipeline.Environment) (Strategy, error) {
	switch name := env.Strategy.Name(); name {
	case release.StrategyRolling:
		return Rolling{}, nil
	default:
		f, ok := strategies[name]
		if !ok {
			return nil, fmt.Errorf("strategy %s is not supported by this build", name)
		}
		return f(env), nil
	}
}

// strategies holds the non-rolling strategies by name.
var strategies = map[string]func(*pipeline.Environment) Strategy{
	release.StrategyCanary:    newCanary,
	release.StrategyBlueGreen: newBlueGreen,
}

// ApplyOptions returns the apply options of this switch.
func (s *Switch) ApplyOptions(force bool) ApplyOptions {
	o := DefaultApplyOptions()
	o.Labels, o.Force = s.Owner, force || s.Force
	return o
}

// PreviousObjects decodes the previous release's manifest (nil for none),
// leaving replicas to its HPAs as the release did: a record written
// before that rule would otherwise reset them on undo.
func (s *Switch) PreviousObjects() ([]*unstructured.Unstructured, error) {
	if s.Previous == nil {
		return nil, nil
	}
	objs, err := DecodeManifest(s.Previous.Manifest)
	if err != nil {
		return nil, err
	}
	return LeaveReplicasToHPAs(objs), nil
}

// clock returns the switch's clock.
func (s *Switch) clock() clock.Clock {
	if s.Clock == nil {
		return clock.RealClock{}
	}
	return s.Clock
}
