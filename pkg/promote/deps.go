package promote

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// Store keeps an environment's release records and rollout state
// (release.Store in a cluster).
type Store interface {
	rollout.StateStore
	Latest(ctx context.Context, statuses ...release.Status) (*release.Record, error)
	List(ctx context.Context) ([]*release.Record, error)
	Next(ctx context.Context) (int, error)
	Create(ctx context.Context, r *release.Record) error
	Prune(ctx context.Context, keep int) error
}

// Locker takes an environment's lock (release.Acquire in a cluster).
type Locker interface {
	Acquire(ctx context.Context) (HeldLock, error)
}

// HeldLock is a lock a run holds: it renews itself until Release and
// closes Lost when it cannot (see release.Lock).
type HeldLock interface {
	Lost() <-chan struct{}
	Err() error
	// Lapsed: lost only for want of renewals; Reclaim may take it back.
	Lapsed() bool
	Reclaim(ctx context.Context) (HeldLock, error)
	Release(ctx context.Context) error
	TookOverFrom() *release.Holder
}

// Preflight dry-runs the whole set against the live cluster before
// anything changes (diff.Diff in a cluster).
type Preflight func(ctx context.Context, objs []*unstructured.Unstructured, o diff.Options) (*diff.ChangeSet, error)

// deps are what a deploy run works through: the cluster ones by default,
// fakes in unit tests of the run's outcomes.
type deps struct {
	store     Store
	locker    Locker
	preflight Preflight
	strategy  func(env *pipeline.Environment) (rollout.Strategy, error)
	watcher   watch.Watcher
	// namespace makes the environment's namespace exist before the lock
	// is taken there, from the prepared objects (see clusterNamespace).
	namespace func(ctx context.Context, objs []*unstructured.Unstructured) error
}

// clusterDeps are the deps of r on its cluster.
func clusterDeps(r *Request) deps {
	store := release.NewStore(r.Clients.Typed, r.Namespace, r.Pipeline, r.Env.Name)
	store.Clock = r.Clock
	return deps{
		store:  store,
		locker: clusterLocker{r: r},
		preflight: func(ctx context.Context, objs []*unstructured.Unstructured, o diff.Options) (*diff.ChangeSet, error) {
			return diff.Diff(ctx, r.Clients, objs, o)
		},
		strategy:  rollout.For,
		watcher:   watch.Informers{},
		namespace: clusterNamespace(r),
	}
}

// clusterLocker takes the environment's Lease.
type clusterLocker struct{ r *Request }

func (l clusterLocker) Acquire(ctx context.Context) (HeldLock, error) {
	r := l.r
	if r.Held != nil {
		return borrowedLock{leaseLock{r.Held}}, nil
	}
	o := r.Lock
	if o.Clock == nil {
		o.Clock = r.Clock
	}
	lock, err := release.Acquire(ctx, r.Clients.Typed, r.Namespace, r.Pipeline, r.Env.Name, r.Holder, o)
	if err != nil {
		return nil, err
	}
	return leaseLock{lock}, nil
}

// leaseLock is a release.Lock as a HeldLock.
type leaseLock struct{ *release.Lock }

func (l leaseLock) Reclaim(ctx context.Context) (HeldLock, error) {
	n, err := l.Lock.Reclaim(ctx)
	if err != nil {
		return nil, err
	}
	return leaseLock{n}, nil
}

// borrowedLock is a lock the caller holds (Request.Held): the run is
// fenced by it but leaves releasing it to the caller.
type borrowedLock struct{ leaseLock }

func (l borrowedLock) Release(context.Context) error { return nil }

func (l borrowedLock) Reclaim(ctx context.Context) (HeldLock, error) {
	n, err := l.Lock.Reclaim(ctx)
	if err != nil {
		return nil, err
	}
	return borrowedLock{leaseLock{n}}, nil
}
