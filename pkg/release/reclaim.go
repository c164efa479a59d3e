package release

import (
	"context"
	"errors"
	"fmt"
	"net"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// Reclaim renews a lock that was lost only because it could not be renewed
// in time (the apiserver was away), and returns it held again. It never
// takes a lock anyone else wrote meanwhile: the lease must still carry this
// run's token, unchanged since (every write is conditional on the version
// read), so nobody else can have held it in between. It retries while the
// apiserver cannot be reached, until ctx ends; any other answer is final
// and wraps ErrLockLost when the lock went to someone else or was broken.
func (l *Lock) Reclaim(ctx context.Context) (*Lock, error) {
	if errors.Is(l.Err(), ErrLockLost) && !l.lapsed() {
		return nil, l.Err()
	}
	n := &Lock{
		leases: l.leases, name: l.name, ref: l.ref, environment: l.environment,
		id: l.id, opts: l.opts, lease: l.lease, renewed: l.renewed,
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}
	for {
		err := n.renew(ctx)
		if err == nil {
			go n.renewLoop(context.WithoutCancel(ctx))
			return n, nil
		}
		if !Unreachable(err) {
			return nil, fmt.Errorf("%s: taking the lock back: %w", l.ref, err)
		}
		if err := sleep(ctx, l.opts.Clock, l.opts.RetryEvery); err != nil {
			return nil, fmt.Errorf("%s: taking the lock back: %w", l.ref, err)
		}
	}
}

// lapsed tells whether the lock was lost only for want of a renewal, not
// to someone else.
func (l *Lock) lapsed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lapsedErr
}

// Lapsed tells whether the lock was lost only because it could not be
// renewed in time, so Reclaim may take it back.
func (l *Lock) Lapsed() bool { return l.lapsed() }

// Unreachable tells whether err says the apiserver could not be reached or
// did not answer in time, rather than answering no.
func Unreachable(err error) bool {
	var netErr net.Error
	switch {
	case err == nil:
		return false
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr),
		utilnet.IsConnectionRefused(err), utilnet.IsConnectionReset(err), utilnet.IsProbableEOF(err):
		return true
	}
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsServiceUnavailable(err) ||
		apierrors.IsTooManyRequests(err) || apierrors.IsInternalError(err) || apierrors.IsUnexpectedServerError(err)
}
