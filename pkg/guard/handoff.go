package guard

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// heartbeatDuration is how long a heartbeat counts as live after its last
// renewal: a few intervals, at least 10s.
func (e *envGuard) heartbeatDuration() time.Duration {
	return max(5*e.g.o.Interval, 10*time.Second)
}

// heartbeat renews the environment's guard heartbeat Lease every interval
// until ctx ends, then deletes it: while it is live a blue-green deploy
// hands its scale-down delay to the guard.
func (e *envGuard) heartbeat(ctx context.Context) {
	name := rollout.GuardHeartbeatName(e.req.Pipeline, e.req.Env.Name)
	leases := e.req.Clients.Typed.CoordinationV1().Leases(e.req.Namespace)
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), promote.DefaultRecordTimeout)
		defer cancel()
		_ = leases.Delete(dctx, name, metav1.DeleteOptions{})
	}()
	secs := int32(e.heartbeatDuration() / time.Second)
	for {
		now := metav1.NewMicroTime(e.g.o.Clock.Now())
		spec := coordinationv1.LeaseSpec{HolderIdentity: ptr.To(e.g.o.Holder.String()), LeaseDurationSeconds: &secs, RenewTime: &now}
		l, err := leases.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.req.Namespace}, Spec: spec}, metav1.CreateOptions{})
		case err == nil:
			l.Spec = spec
			_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
		}
		if err != nil && ctx.Err() == nil {
			e.g.emit(ctx, e.event(Error, 0, "renewing the guard heartbeat Lease/%s/%s: %v", e.req.Namespace, name, err))
		}
		if e.g.sleep(ctx, e.g.o.Interval) != nil {
			return
		}
	}
}

// handedOff is the rollout state of rec when a blue-green deploy left its
// scale-down delay to the guard; nil otherwise.
func (e *envGuard) handedOff(ctx context.Context, rec *release.Record) (*release.State, error) {
	if e.req.Env.Strategy.BlueGreen == nil {
		return nil, nil
	}
	st, _, err := e.store.State(ctx)
	if err != nil || st == nil || st.Phase != rollout.PhaseHandedOff || st.CanaryRevision != rec.Revision || st.BlueGreen == nil {
		return nil, err
	}
	return st, nil
}

// scaleDown ends the scale-down delay of rec, handed off to the guard:
// under the lock, and only while rec is still the newest successful
// release and still handed off, the old colour is scaled to zero.
func (e *envGuard) scaleDown(ctx context.Context, rec *release.Record) error {
	lock, err := release.Acquire(ctx, e.req.Clients.Typed, e.req.Namespace, e.req.Pipeline, e.req.Env.Name, e.g.o.Holder,
		release.LockOptions{LeaseDuration: e.req.Lock.LeaseDuration, RenewEvery: e.req.Lock.RenewEvery, Clock: e.g.o.Clock})
	if err != nil {
		return err // held by a run: it replaces the rollout; looked at again next round
	}
	uctx, unfence := fence(context.WithoutCancel(ctx), lock)
	defer unfence()
	defer e.unlock(ctx, lock)
	recs, err := e.store.List(uctx)
	if err != nil {
		return fmt.Errorf("reading release history: %w", err)
	}
	st, err := e.handedOff(uctx, rec)
	if err != nil || st == nil || newestSucceeded(recs) == nil || newestSucceeded(recs).Revision != rec.Revision {
		return err
	}
	sw, err := e.blueGreenSwitch(rec, previousSucceeded(recs, rec.Revision))
	if err != nil {
		return err
	}
	if err := (&rollout.BlueGreen{Spec: *e.req.Env.Strategy.BlueGreen}).FinishHandOff(uctx, sw); err != nil {
		return fmt.Errorf("revision %d: scaling %s down: %w", rec.Revision, st.BlueGreen.From, err)
	}
	e.g.emit(ctx, e.event(ScaledDown, rec.Revision, "revision %d: scale-down delay over: %s scaled down", rec.Revision, st.BlueGreen.From))
	return nil
}

// flipBack undoes rec inside its handed-off scale-down delay: the old
// colour still runs the previous release, so the active Service flips back
// to it at once, the previous release is re-applied on it whole and the
// failed colour is scaled to zero. No new revision is deployed.
func (e *envGuard) flipBack(ctx context.Context, rec, target *release.Record) error {
	sw, err := e.blueGreenSwitch(rec, target)
	if err != nil {
		return err
	}
	return (&rollout.BlueGreen{Spec: *e.req.Env.Strategy.BlueGreen}).Undo(ctx, sw)
}

// blueGreenSwitch is the strategy's view of rec, deployed after prev, for
// the guard to end or undo its handed-off rollout.
func (e *envGuard) blueGreenSwitch(rec, prev *release.Record) (*rollout.Switch, error) {
	objs, err := rollout.DecodeManifest(rec.Manifest)
	if err != nil {
		return nil, fmt.Errorf("revision %d: %w", rec.Revision, err)
	}
	h := e.req.Health
	return &rollout.Switch{
		Clients: e.req.Clients, Namespace: e.req.Namespace, Env: e.req.Env, Objects: objs, Previous: prev, Revision: rec.Revision,
		Owner:  map[string]string{kube.LabelPipeline: e.req.Pipeline, kube.LabelEnvironment: e.req.Env.Name},
		Health: h, Store: e.store, Clock: e.g.o.Clock,
		Watch: func(ctx context.Context, objs []*unstructured.Unstructured, timeout, verify time.Duration) error {
			return watch.Watch(ctx, e.req.Clients, objs, watch.Options{
				RestartLimit: h.RestartLimit, UnschedulableGrace: h.UnschedulableGrace.D(),
				Timeout: timeout, Verify: verify, Clock: e.g.o.Clock,
			}, nil)
		},
		Emit: func(phase, format string, args ...any) {
			e.g.emit(context.Background(), e.event(Progress, rec.Revision, "%s: %s", phase, fmt.Sprintf(format, args...)))
		},
	}, nil
}
