package promote

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// lockGuard keeps the environment's lock for the whole rollout. A lease that
// could not be renewed is not yet a lock taken by someone else: during an
// apiserver outage nobody can take it, and the rollout must go on. So when
// the lock reports itself lost, the guard takes it again as soon as the
// apiserver answers, and stops the rollout only when another holder has it.
type lockGuard struct {
	d     *deployment
	mu    sync.Mutex
	lock  *release.Lock
	taken atomic.Bool
	other release.Holder
}

func (g *lockGuard) current() *release.Lock {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lock
}

// keep watches the lock until ctx ends; it calls stop when another holder
// took it.
func (g *lockGuard) keep(ctx context.Context, stop context.CancelFunc) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.current().Lost():
		}
		g.d.emit("lock", "could not renew the lock (%v); taking it again", g.current().Err())
		if !g.retake(ctx) {
			stop()
			return
		}
	}
}

// retake acquires the lock again; false when someone else holds it.
func (g *lockGuard) retake(ctx context.Context) bool {
	for {
		lock, err := release.Acquire(ctx, g.d.Clients.Typed, g.d.Namespace, g.d.Pipeline, g.d.Env.Name, g.d.Holder, g.d.Lock)
		if err == nil {
			g.mu.Lock()
			g.lock = lock
			g.mu.Unlock()
			g.d.emit("lock", "holding the lock again")
			return true
		}
		var locked *release.LockedError
		if errors.As(err, &locked) && !g.ours(locked.Holder) {
			g.other = locked.Holder
			g.taken.Store(true)
			return false
		}
		// Our own lease not yet expired, or the apiserver still away.
		select {
		case <-ctx.Done():
			return true
		case <-time.After(time.Second):
		}
	}
}

func (g *lockGuard) ours(h release.Holder) bool {
	return h.PID == os.Getpid() && h.Host == g.d.Holder.Host
}

func (g *lockGuard) by() string { return g.other.String() }

func (g *lockGuard) release(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if !g.taken.Load() {
		_ = g.current().Release(rctx)
	}
}
