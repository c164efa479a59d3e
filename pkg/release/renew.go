package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// renewLoop renews the lease every RenewEvery until Release or loss.
func (l *Lock) renewLoop(ctx context.Context) {
	defer close(l.done)
	t := l.opts.Clock.NewTimer(l.opts.RenewEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C():
		}
		if err := l.renew(ctx); err != nil && l.giveUp(err) {
			return
		}
		t.Reset(l.opts.RenewEvery)
	}
}

// giveUp decides whether a failed renewal loses the lock: at once if it
// was broken or taken over; otherwise when the lease would expire before
// the next attempt, that is before anyone else may take it over.
func (l *Lock) giveUp(err error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !errors.Is(err, ErrLockLost) {
		next := l.opts.Clock.Now().Add(l.opts.RenewEvery)
		if next.Before(l.renewed.Add(l.opts.LeaseDuration)) {
			return false
		}
		err = fmt.Errorf("%s: %w: not renewed since %s: %w", l.ref, ErrLockLost, l.renewed.UTC().Format(time.RFC3339), err)
		l.lapsedErr = true
	}
	l.lostErr = err
	close(l.lost)
	return true
}

// renew writes a new renewTime over the lease this lock last wrote. If the
// lease changed meanwhile, it is read again: still ours, it is renewed;
// someone else's or gone, the lock is lost.
func (l *Lock) renew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(min(l.opts.RenewEvery, l.opts.LeaseDuration/2), time.Second))
	defer cancel()
	now := l.opts.Clock.Now()
	l.mu.Lock()
	lease := l.lease.DeepCopy()
	l.mu.Unlock()
	lease.Spec.RenewTime = &metav1.MicroTime{Time: now}
	updated, err := l.leases.Update(ctx, lease, metav1.UpdateOptions{FieldManager: fieldManager})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		lease, err = l.reread(ctx)
		if err != nil {
			return err
		}
		lease.Spec.RenewTime = &metav1.MicroTime{Time: now}
		updated, err = l.leases.Update(ctx, lease, metav1.UpdateOptions{FieldManager: fieldManager})
	}
	if err != nil {
		return err
	}
	return l.written(updated, nil)
}

// reread returns the live lease if this lock still holds it; an error
// wrapping ErrLockLost if not.
func (l *Lock) reread(ctx context.Context) (*coordinationv1.Lease, error) {
	live, err := l.leases.Get(ctx, l.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("%s: %w: the lease was deleted", l.ref, ErrLockLost)
	case err != nil:
		return nil, err
	}
	held, ok := holderOf(live)
	switch {
	case !ok:
		return nil, fmt.Errorf("%s: %w: it was broken (kubectl promote unlock --force)", l.ref, ErrLockLost)
	case held.Token != l.id.Token:
		return nil, fmt.Errorf("%s: %w: taken over by %s", l.ref, ErrLockLost, held.Holder)
	}
	return live, nil
}

// Release stops renewing and frees the lock for the next promotion. It is
// safe to call more than once, and after the lock was lost (then it leaves
// the new holder alone).
func (l *Lock) Release(ctx context.Context) error {
	var err error
	l.releaseOnce.Do(func() {
		close(l.stop)
		<-l.done
		if l.Err() != nil {
			return
		}
		err = l.free(ctx)
	})
	return err
}

// free empties the holder of the lease, if it is still this lock's.
func (l *Lock) free(ctx context.Context) error {
	l.mu.Lock()
	lease := l.lease.DeepCopy()
	l.mu.Unlock()
	for range 3 {
		lease.Spec.HolderIdentity = nil
		_, err := l.leases.Update(ctx, lease, metav1.UpdateOptions{FieldManager: fieldManager})
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			if err != nil {
				return fmt.Errorf("%s: release lock: %w", l.ref, err)
			}
			return nil
		}
		if lease, err = l.reread(ctx); err != nil {
			if errors.Is(err, ErrLockLost) {
				return nil
			}
			return fmt.Errorf("%s: release lock: %w", l.ref, err)
		}
	}
	return fmt.Errorf("%s: release lock: the lease keeps changing", l.ref)
}
