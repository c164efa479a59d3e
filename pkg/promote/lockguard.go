package promote

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// lockGuard keeps the environment's lock for the whole run and fences what
// runs under it: once the lock is lost, every fenced context is cancelled
// at once and the run writes nothing more to the environment. It never
// waits to take the lock back from someone else. The one lock it takes
// back is its own lease that only lapsed (the apiserver was away and
// nobody wrote the lease since, see release.Lock.Reclaim); the run goes on
// meanwhile, since nobody else can have taken it without the lease
// changing.
type lockGuard struct {
	emit func(phase, format string, args ...any)

	mu   sync.Mutex
	lock HeldLock
	err  error

	lost       chan struct{}
	stop, done chan struct{}
}

// newLockGuard guards lock until release.
func newLockGuard(ctx context.Context, lock HeldLock, emit func(phase, format string, args ...any)) *lockGuard {
	g := &lockGuard{emit: emit, lock: lock, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go g.keep(context.WithoutCancel(ctx))
	return g
}

func (g *lockGuard) current() HeldLock {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lock
}

// Err says why the lock was lost (wrapping release.ErrLockLost); nil while
// it is held.
func (g *lockGuard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func (g *lockGuard) keep(ctx context.Context) {
	defer close(g.done)
	for {
		l := g.current()
		select {
		case <-g.stop:
			return
		case <-l.Lost():
		}
		if !l.Lapsed() {
			g.lose(l.Err())
			return
		}
		g.emit("lock", "could not renew the lock in time (%v); taking it back unless someone else took it", l.Err())
		n, err := g.reclaim(ctx, l)
		if err != nil {
			g.lose(err)
			return
		}
		g.mu.Lock()
		g.lock = n
		g.mu.Unlock()
		g.emit("lock", "holding the lock again: nobody else took it meanwhile")
	}
}

// reclaim takes l back, until release stops it.
func (g *lockGuard) reclaim(ctx context.Context, l HeldLock) (HeldLock, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-g.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return l.Reclaim(ctx)
}

func (g *lockGuard) lose(err error) {
	if !errors.Is(err, release.ErrLockLost) {
		err = fmt.Errorf("%w: %w", release.ErrLockLost, err)
	}
	g.mu.Lock()
	g.err = err
	g.mu.Unlock()
	g.emit("lock", "%v: stopping", err)
	close(g.lost)
}

// fence returns a context cancelled, with the loss as its cause, as soon as
// the lock is lost.
func (g *lockGuard) fence(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		select {
		case <-g.lost:
			cancel(g.Err())
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// release stops guarding and frees the lock, unless it was lost.
func (g *lockGuard) release(ctx context.Context) {
	close(g.stop)
	<-g.done
	if err := g.current().Release(ctx); err != nil {
		g.emit("lock", "warning: %v", err)
	}
}
