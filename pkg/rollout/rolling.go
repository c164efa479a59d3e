package rollout

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Rolling applies the whole release at once and lets each workload's own
// rolling update move traffic.
type Rolling struct{}

// Rollout applies every object, prunes what the previous release had and
// this one lacks, and watches the result.
func (Rolling) Rollout(ctx context.Context, s *Switch) error {
	s.Emit("apply", "revision %d: applying %d objects", s.Revision, len(s.Objects))
	applied, err := Apply(ctx, s.Clients, s.Objects, s.ApplyOptions(false))
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if s.Previous != nil {
		if err := s.prune(ctx, Missing(s.Previous.Inventory, Inventory(s.Objects)), ""); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	if err := s.Watch(ctx, applied, s.Health.Timeout.D(), s.Health.Verify.D()); err != nil {
		return err
	}
	return s.rollingAnalysis(ctx, applied)
}

// Undo re-applies the previous release whole (taking back every field the
// failed release changed), prunes what the failed release added and waits
// for health. With no previous release it deletes what the failed one
// created (see UndoFirst).
func (Rolling) Undo(ctx context.Context, s *Switch) error {
	prev, err := s.PreviousObjects()
	if err != nil {
		return err
	}
	if prev == nil {
		return s.UndoFirst(ctx)
	}
	s.Emit("undo", "re-applying revision %d whole", s.Previous.Revision)
	applied, err := Apply(ctx, s.Clients, prev, s.ApplyOptions(true))
	if err != nil {
		return fmt.Errorf("re-applying revision %d: %w", s.Previous.Revision, err)
	}
	if err := s.prune(ctx, Missing(Inventory(s.Objects), s.Previous.Inventory), " (added by the failed revision)"); err != nil {
		return err
	}
	// The StatefulSet rollbacks are finished while the watch runs: a pod of
	// the failed revision that is Ready now may crash later (and then the
	// controller never replaces it), so they are looked at again until the
	// release is healthy.
	sctx, stop := context.WithCancel(ctx)
	finished := make(chan error, 1)
	go func() { finished <- finishStatefulSets(sctx, s, applied) }()
	err = s.Watch(ctx, applied, s.Health.UndoTimeout.D(), 0)
	stop()
	if ferr := <-finished; err != nil && ferr != nil {
		err = fmt.Errorf("%w (finishing the StatefulSet rollbacks: %w)", err, ferr)
	}
	if err != nil {
		return fmt.Errorf("revision %d is not healthy again: %w", s.Previous.Revision, err)
	}
	s.Emit("undo", "revision %d is healthy again", s.Previous.Revision)
	return nil
}

// finishStatefulSets completes the StatefulSet rollbacks the controller
// leaves undone (a pod of the failed revision that is not Ready is never
// replaced), again every interval until ctx ends (the undo's watch is
// over), within the undo's own budget. It returns nil when ctx ends.
func finishStatefulSets(ctx context.Context, s *Switch, applied []*unstructured.Unstructured) error {
	if d := s.Health.UndoTimeout.D(); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	for {
		err := FinishStatefulSetRollbacks(ctx, s.Clients, applied, StatefulSetRollbackOptions{Emit: s.Emit})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(DefaultStatefulSetRollbackInterval):
		}
	}
}
