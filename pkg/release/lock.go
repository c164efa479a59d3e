package release

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// Lock defaults.
const (
	DefaultLeaseDuration = 30 * time.Second
	DefaultRetryEvery    = time.Second
)

// LockOptions tune Acquire. Zero values take the defaults.
type LockOptions struct {
	// LeaseDuration is how long the lock outlives its last renewal
	// (default 30s). The Lease stores whole seconds; it is rounded up.
	LeaseDuration time.Duration
	// RenewEvery is the renewal period (default LeaseDuration/3).
	RenewEvery time.Duration
	// WaitFor is how long Acquire waits for a held lock (--wait-for-lock);
	// 0 fails at once.
	WaitFor time.Duration
	// RetryEvery is how often a waiting Acquire looks again (default 1s).
	RetryEvery time.Duration
	// Clock is the lock's clock (default the real one).
	Clock clock.Clock
}

func (o LockOptions) withDefaults() (LockOptions, error) {
	if o.LeaseDuration <= 0 {
		o.LeaseDuration = DefaultLeaseDuration
	}
	o.LeaseDuration = time.Duration(leaseSeconds(o.LeaseDuration)) * time.Second
	if o.RenewEvery <= 0 {
		o.RenewEvery = o.LeaseDuration / 3
	}
	if o.RetryEvery <= 0 {
		o.RetryEvery = DefaultRetryEvery
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.RenewEvery >= o.LeaseDuration {
		return o, fmt.Errorf("lock: renewing every %s cannot keep a %s lease", o.RenewEvery, o.LeaseDuration)
	}
	return o, nil
}

// leaseSeconds rounds d up to whole seconds, at least one.
func leaseSeconds(d time.Duration) int32 {
	return int32(max(1, (d+time.Second-1)/time.Second))
}

// Lock is a held lock on one environment. It renews itself until Release;
// watch Lost to stop work when it cannot.
type Lock struct {
	leases      coordinationv1client.LeaseInterface
	name, ref   string
	environment string
	id          identity
	opts        LockOptions

	tookOver *Holder
	// observed is the held lease as this lock last saw it while trying to
	// take it, and when (on its own clock): expiry is judged from there.
	observed observation

	mu      sync.Mutex
	lease   *coordinationv1.Lease // as last written by this lock
	renewed time.Time             // clock time of that write
	lostErr error
	// lapsedErr: lost because renewals failed for a lease duration, not
	// because anyone else wrote the lease.
	lapsedErr bool

	lost        chan struct{}
	stop, done  chan struct{}
	releaseOnce sync.Once
}

// Acquire takes the lock of environment of pipeline in namespace for h.
// A lock held by someone else and not expired fails, at once or after
// o.WaitFor, with a *LockedError wrapped with exitcode.Blocked; an expired
// one is taken over and TookOverFrom says from whom. Two racing Acquires
// cannot both win: every write carries the resourceVersion it read.
// The lock renews itself until Release, whatever happens to ctx.
func Acquire(ctx context.Context, client kubernetes.Interface, namespace, pipeline, environment string, h Holder, o LockOptions) (*Lock, error) {
	if err := checkNames(namespace, pipeline, environment); err != nil {
		return nil, err
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Lock{
		leases:      client.CoordinationV1().Leases(namespace),
		name:        LeaseName(pipeline, environment),
		ref:         "Lease/" + namespace + "/" + LeaseName(pipeline, environment),
		environment: environment,
		id:          identity{Holder: h, Token: newToken()},
		opts:        o,
		lost:        make(chan struct{}),
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	if err := l.acquire(ctx, ownerLabels(pipeline, environment)); err != nil {
		return nil, err
	}
	go l.renewLoop(context.WithoutCancel(ctx))
	return l, nil
}

// acquire tries until it holds the lock, the lock stays held past WaitFor,
// or ctx ends. A lease whose holder's clock says it expired is watched for
// one lease duration of this clock, even without WaitFor: if it does not
// change meanwhile, its holder is gone and the lock is taken over.
func (l *Lock) acquire(ctx context.Context, labels map[string]string) error {
	deadline := l.opts.Clock.Now().Add(l.opts.WaitFor)
	for {
		err := l.tryAcquire(ctx, labels)
		var locked *LockedError
		if !errors.As(err, &locked) {
			return exitcode.With(exitcode.Cluster, err)
		}
		now, until := l.opts.Clock.Now(), deadline
		if locked.confirming && locked.Expires.After(until) {
			until = locked.Expires
		}
		if !now.Before(until) {
			return exitcode.With(exitcode.Blocked, err)
		}
		wait := min(l.opts.RetryEvery, until.Sub(now))
		if err := sleep(ctx, l.opts.Clock, wait); err != nil {
			// Interrupted, not blocked: a signal's exit code says so.
			return exitcode.With(exitcode.Cluster, fmt.Errorf("%w; gave up waiting: %w", locked, err))
		}
	}
}

// tryAcquire makes one attempt, read and write, again if another writer
// came in between.
func (l *Lock) tryAcquire(ctx context.Context, labels map[string]string) error {
	var err error
	for range 3 {
		err = l.tryOnce(ctx, labels)
		if !apierrors.IsConflict(err) && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return fmt.Errorf("%s: acquire: %w", l.ref, err)
}

// tryOnce reads the lease and takes it if it is free or expired.
func (l *Lock) tryOnce(ctx context.Context, labels map[string]string) error {
	l.tookOver = nil
	now := l.opts.Clock.Now()
	live, err := l.leases.Get(ctx, l.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		live = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: l.name, Labels: labels}}
		live.Spec = l.spec(now, 0)
		return l.written(l.leases.Create(ctx, live, metav1.CreateOptions{FieldManager: fieldManager}))
	}
	if err != nil {
		return fmt.Errorf("%s: read lock: %w", l.ref, err)
	}
	if held, ok := holderOf(live); ok {
		if err := l.judge(live, held, now); err != nil {
			return err
		}
		l.tookOver = &held.Holder
	}
	live.Spec = l.spec(now, ptr.Deref(live.Spec.LeaseTransitions, 0)+1)
	for k, v := range labels {
		metav1.SetMetaDataLabel(&live.ObjectMeta, k, v)
	}
	return l.written(l.leases.Update(ctx, live, metav1.UpdateOptions{FieldManager: fieldManager}))
}

// spec is the lease held by this lock, acquired and renewed at now.
func (l *Lock) spec(now time.Time, transitions int32) coordinationv1.LeaseSpec {
	return coordinationv1.LeaseSpec{
		HolderIdentity:       ptr.To(l.id.String()),
		LeaseDurationSeconds: ptr.To(leaseSeconds(l.opts.LeaseDuration)),
		AcquireTime:          &metav1.MicroTime{Time: now},
		RenewTime:            &metav1.MicroTime{Time: now},
		LeaseTransitions:     ptr.To(transitions),
	}
}

// written remembers a lease this lock wrote, for the next write's resourceVersion.
func (l *Lock) written(lease *coordinationv1.Lease, err error) error {
	if err != nil {
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			return err
		}
		return fmt.Errorf("%s: write lock: %w", l.ref, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lease = lease
	l.renewed = renewTime(lease)
	return nil
}

// Holder returns who this lock says holds it.
func (l *Lock) Holder() Holder { return l.id.Holder }

// Lease returns "Lease/namespace/name".
func (l *Lock) Lease() string { return l.ref }

// TookOverFrom returns the holder of the expired lock Acquire took over,
// or nil if the lock was free.
func (l *Lock) TookOverFrom() *Holder { return l.tookOver }

// Lost is closed when the lock is lost: broken with ForceUnlock, taken over,
// or not renewed for so long that it would expire before the next attempt.
// Whatever runs under the lock must stop then; Err says why.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Err returns why the lock was lost (wrapping ErrLockLost), or nil.
func (l *Lock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lostErr
}

func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails, see crypto/rand
	return hex.EncodeToString(b)
}

// holderOf returns the lease's holder; false when the lease is free.
func holderOf(lease *coordinationv1.Lease) (identity, bool) {
	h := ptr.Deref(lease.Spec.HolderIdentity, "")
	if h == "" {
		return identity{}, false
	}
	return parseIdentity(h), true
}

// renewTime is when the lease was last renewed (acquired, if never).
func renewTime(lease *coordinationv1.Lease) time.Time {
	switch {
	case lease.Spec.RenewTime != nil:
		return lease.Spec.RenewTime.Time
	case lease.Spec.AcquireTime != nil:
		return lease.Spec.AcquireTime.Time
	}
	return time.Time{}
}

// expiry is when the lease ends unless renewed, by its holder's clock.
// Status shows it; taking a lock over never trusts it alone (see judge).
func expiry(lease *coordinationv1.Lease) time.Time {
	return renewTime(lease).Add(leaseDuration(lease))
}

func leaseDuration(lease *coordinationv1.Lease) time.Duration {
	return time.Duration(ptr.Deref(lease.Spec.LeaseDurationSeconds, 0)) * time.Second
}

// sleep waits d on c, or until ctx ends.
func sleep(ctx context.Context, c clock.Clock, d time.Duration) error {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
