package release

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

var (
	alice = Holder{User: "alice", Host: "laptop", PID: 1, Command: "kubectl-promote prod"}
	bob   = Holder{User: "bob", Host: "ci-7", PID: 2, CIJobURL: "https://ci.example/job/7"}
)

// short is a lock that expires in 2s and renews every 500ms.
func short(c *testingclock.FakeClock) LockOptions {
	o := LockOptions{LeaseDuration: 2 * time.Second, RenewEvery: 500 * time.Millisecond, RetryEvery: 100 * time.Millisecond}
	if c != nil {
		o.Clock = c
	}
	return o
}

// tick advances a lock's fake clock by d once its renewal loop (or a
// waiting Acquire) is waiting on it, and waits until it waits again or
// the lock is lost, so the step's effect is complete.
func tick(t *testing.T, c *testingclock.FakeClock, d time.Duration, l *Lock) {
	t.Helper()
	eventually(t, "the lock to wait on its clock", c.HasWaiters)
	c.Step(d)
	eventually(t, "the renewal to complete", func() bool { return c.HasWaiters() || isClosed(l.Lost()) })
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func release(t *testing.T, l *Lock) {
	t.Helper()
	if err := l.Release(t.Context()); err != nil {
		t.Errorf("Release: %v", err)
	}
}

// wantLocked checks that err says the lock is held by want.
func wantLocked(t *testing.T, err error, want Holder) *LockedError {
	t.Helper()
	var le *LockedError
	if exitcode.Code(err) != exitcode.Blocked || !errors.As(err, &le) {
		t.Fatalf("Acquire() = %v, want a *LockedError with exit code %d", err, exitcode.Blocked)
	}
	if diff := cmp.Diff(want, le.Holder); diff != "" {
		t.Errorf("holder (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "locked by "+want.String()) {
		t.Errorf("error %q does not name the holder", err)
	}
	return le
}

func TestClusterLockBlocksSecond(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	a, err := Acquire(ctx, client, ns, "shop", "prod", alice, LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(ctx, client, ns, "shop", "prod", bob, LockOptions{})
	le := wantLocked(t, err, alice)
	if !le.Expires.After(le.Now) {
		t.Errorf("expires %s, want after the check at %s", le.Expires, le.Now)
	}
	h, exp, err := CurrentHolder(ctx, client, ns, "shop", "prod")
	if err != nil || h == nil || *h != alice || exp == nil {
		t.Fatalf("CurrentHolder() = %v, %v, %v; want alice", h, exp, err)
	}
	// Another environment has its own lock.
	other, err := Acquire(ctx, client, ns, "shop", "staging", bob, LockOptions{})
	if err != nil {
		t.Fatalf("Acquire(staging): %v", err)
	}
	release(t, other)

	release(t, a)
	release(t, a) // twice is fine
	if h, _, err := CurrentHolder(ctx, client, ns, "shop", "prod"); h != nil || err != nil {
		t.Fatalf("CurrentHolder() after Release = %v, %v; want nil", h, err)
	}
	b, err := Acquire(ctx, client, ns, "shop", "prod", bob, LockOptions{})
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if b.TookOverFrom() != nil {
		t.Errorf("TookOverFrom() = %v after a Release, want nil", b.TookOverFrom())
	}
	release(t, b)
}

func TestClusterLockTakeoverAfterExpiry(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	ca, cb := testingclock.NewFakeClock(t0), testingclock.NewFakeClock(t0)
	a, err := Acquire(ctx, client, ns, "shop", "prod", alice, short(ca))
	if err != nil {
		t.Fatal(err)
	}
	cb.SetTime(t0.Add(2*time.Second - time.Microsecond))
	_, err = Acquire(ctx, client, ns, "shop", "prod", bob, short(cb))
	wantLocked(t, err, alice)

	// Alice never renewed: by her clock the lease expired. Bob watches it
	// for a lease duration of his own clock before he takes it.
	cb.SetTime(t0.Add(2 * time.Second))
	b := acquireStepping(t, cb, 2*time.Second, func() (*Lock, error) {
		return Acquire(ctx, client, ns, "shop", "prod", bob, short(cb))
	})
	if diff := cmp.Diff(&alice, b.TookOverFrom()); diff != "" {
		t.Errorf("TookOverFrom() (-want +got):\n%s", diff)
	}

	tick(t, ca, 500*time.Millisecond, a) // alice's next renewal finds bob
	if !isClosed(a.Lost()) || !errors.Is(a.Err(), ErrLockLost) || !strings.Contains(a.Err().Error(), "taken over by bob@ci-7") {
		t.Errorf("alice's lock: lost %v, Err() = %v; want lost, taken over by bob", isClosed(a.Lost()), a.Err())
	}
	release(t, a) // leaves bob's lock alone
	if h, _, _ := CurrentHolder(ctx, client, ns, "shop", "prod"); h == nil || *h != bob {
		t.Errorf("CurrentHolder() = %v, want bob", h)
	}
	release(t, b)
}

func TestClusterLockRenewal(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	ca := testingclock.NewFakeClock(t0)
	a, err := Acquire(ctx, client, ns, "shop", "prod", alice, short(ca))
	if err != nil {
		t.Fatal(err)
	}
	for range 8 { // 4s: twice the lease
		tick(t, ca, 500*time.Millisecond, a)
	}
	_, exp, err := CurrentHolder(ctx, client, ns, "shop", "prod")
	if err != nil || exp == nil || !exp.Equal(ca.Now().Add(2*time.Second)) {
		t.Fatalf("CurrentHolder() expires %v, %v; want %s", exp, err, ca.Now().Add(2*time.Second))
	}
	cb := testingclock.NewFakeClock(ca.Now().Add(time.Second))
	_, err = Acquire(ctx, client, ns, "shop", "prod", bob, short(cb))
	wantLocked(t, err, alice)
	if isClosed(a.Lost()) {
		t.Errorf("a renewed lock is lost: %v", a.Err())
	}
	release(t, a)
}

// TestClusterLockRace races Acquires for a free lock and for an expired
// one: each time exactly one wins.
func TestClusterLockRace(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	race := func(t *testing.T, env string) *Lock {
		t.Helper()
		const n = 8
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			mu      sync.Mutex
			winners []*Lock
			blocked int
		)
		for i := range n {
			wg.Go(func() {
				<-start
				l, err := Acquire(ctx, client, ns, "shop", env, Holder{User: "racer", PID: i}, LockOptions{})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, l)
				case exitcode.Code(err) == exitcode.Blocked:
					blocked++
				default:
					t.Errorf("racer %d: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 || blocked != n-1 {
			t.Fatalf("%d winners, %d blocked; want 1 and %d", len(winners), blocked, n-1)
		}
		return winners[0]
	}

	t.Run("free", func(t *testing.T) {
		w := race(t, "free")
		if w.TookOverFrom() != nil {
			t.Errorf("TookOverFrom() = %v, want nil", w.TookOverFrom())
		}
		release(t, w)
	})
	t.Run("expired", func(t *testing.T) {
		stale, err := Acquire(ctx, client, ns, "shop", "expired", alice, short(testingclock.NewFakeClock(time.Now().Add(-time.Hour))))
		if err != nil {
			t.Fatal(err)
		}
		w := race(t, "expired")
		if diff := cmp.Diff(&alice, w.TookOverFrom()); diff != "" {
			t.Errorf("TookOverFrom() (-want +got):\n%s", diff)
		}
		release(t, stale) // must not free the winner's lock
		if h, _, _ := CurrentHolder(ctx, client, ns, "shop", "expired"); h == nil || h.User != "racer" {
			t.Errorf("CurrentHolder() = %v after the stale lock's Release, want the winner", h)
		}
		release(t, w)
	})
}

func TestClusterForceUnlock(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	if h, err := ForceUnlock(ctx, client, ns, "shop", "prod"); h != nil || err != nil {
		t.Fatalf("ForceUnlock() of a lock never taken = %v, %v; want nil, nil", h, err)
	}
	ca := testingclock.NewFakeClock(t0)
	a, err := Acquire(ctx, client, ns, "shop", "prod", alice, short(ca))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ForceUnlock(ctx, client, ns, "shop", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&alice, h); diff != "" {
		t.Errorf("ForceUnlock() (-want +got):\n%s", diff)
	}
	if h, err := ForceUnlock(ctx, client, ns, "shop", "prod"); h != nil || err != nil {
		t.Errorf("ForceUnlock() again = %v, %v; want nil, nil", h, err)
	}
	tick(t, ca, 500*time.Millisecond, a)
	if !isClosed(a.Lost()) || !strings.Contains(a.Err().Error(), "broken") {
		t.Errorf("after ForceUnlock: lost %v, Err() = %v; want lost, broken", isClosed(a.Lost()), a.Err())
	}
	b, err := Acquire(ctx, client, ns, "shop", "prod", bob, LockOptions{})
	if err != nil || b.TookOverFrom() != nil {
		t.Fatalf("Acquire after ForceUnlock = %v (took over from %v); want a free lock", err, b.TookOverFrom())
	}
	release(t, a)
	release(t, b)
}

func TestClusterLockWaitFor(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	a, err := Acquire(ctx, client, ns, "shop", "prod", alice, LockOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("gives up", func(t *testing.T) {
		cb := testingclock.NewFakeClock(time.Now())
		o := short(cb)
		o.WaitFor, o.RetryEvery = time.Second, 500*time.Millisecond
		errc := make(chan error, 1)
		go func() { _, err := Acquire(ctx, client, ns, "shop", "prod", bob, o); errc <- err }()
		for range 2 {
			eventually(t, "Acquire to wait", cb.HasWaiters)
			cb.Step(500 * time.Millisecond)
		}
		wantLocked(t, <-errc, alice)
	})

	t.Run("gets it once released", func(t *testing.T) {
		cb := testingclock.NewFakeClock(time.Now())
		o := short(cb)
		o.WaitFor = time.Minute
		type result struct {
			l   *Lock
			err error
		}
		done := make(chan result, 1)
		go func() { l, err := Acquire(ctx, client, ns, "shop", "prod", bob, o); done <- result{l, err} }()
		eventually(t, "Acquire to wait", cb.HasWaiters) // it found the lock held
		release(t, a)
		cb.Step(o.RetryEvery)
		r := <-done
		if r.err != nil {
			t.Fatalf("waiting Acquire: %v", r.err)
		}
		release(t, r.l)
	})
}

// TestClusterLockLostWhenRenewalFails takes the holder's right to renew
// away: the lock is lost once the lease would expire before the next try,
// and not before.
func TestClusterLockLostWhenRenewalFails(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	user := userClient(t, ns, "deployer")
	ca := testingclock.NewFakeClock(t0)
	a, err := Acquire(ctx, user, ns, "shop", "prod", alice, short(ca))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.RbacV1().RoleBindings(ns).Delete(ctx, "deployer", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "RBAC to forbid renewals", func() bool { return !canUpdateLease(t, user, ns) })

	tick(t, ca, 500*time.Millisecond, a) // 0.5s since renewed: next try at 1s
	tick(t, ca, 500*time.Millisecond, a) // 1s: next try at 1.5s
	if isClosed(a.Lost()) {
		t.Fatalf("lost %v after renewals failed for 1s of a 2s lease: %v", ca.Since(t0), a.Err())
	}
	tick(t, ca, 500*time.Millisecond, a) // 1.5s: the next try would be too late
	if !isClosed(a.Lost()) || !errors.Is(a.Err(), ErrLockLost) || !strings.Contains(a.Err().Error(), "forbidden") {
		t.Errorf("lost %v, Err() = %v; want lost because renewals are forbidden", isClosed(a.Lost()), a.Err())
	}
	release(t, a)
}

// acquireStepping runs acquire, which waits on c, stepping c by d once it
// waits, and returns the lock it took.
func acquireStepping(t *testing.T, c *testingclock.FakeClock, d time.Duration, acquire func() (*Lock, error)) *Lock {
	t.Helper()
	type result struct {
		l   *Lock
		err error
	}
	done := make(chan result, 1)
	go func() { l, err := acquire(); done <- result{l, err} }()
	eventually(t, "Acquire to watch the stale lease", c.HasWaiters)
	c.Step(d)
	r := <-done
	if r.err != nil {
		t.Fatalf("Acquire of a stale lease: %v", r.err)
	}
	return r.l
}

// TestClusterLockSkewNeverStealsALiveLock: alice's clock is an hour
// behind, so her renewTime always looks expired to bob; bob watches the
// lease, sees it renewed, and leaves it to her.
func TestClusterLockSkewNeverStealsALiveLock(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	ca, cb := testingclock.NewFakeClock(t0.Add(-time.Hour)), testingclock.NewFakeClock(t0)
	a, err := Acquire(ctx, client, ns, "shop", "prod", alice, short(ca))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := Acquire(ctx, client, ns, "shop", "prod", bob, short(cb)); errc <- err }()
	eventually(t, "bob to watch the lease", cb.HasWaiters)
	tick(t, ca, 500*time.Millisecond, a) // alice renews
	for range 20 {
		eventually(t, "bob to wait", func() bool { return cb.HasWaiters() || len(errc) > 0 })
		if len(errc) > 0 {
			break
		}
		cb.Step(100 * time.Millisecond)
	}
	wantLocked(t, <-errc, alice)
	if isClosed(a.Lost()) {
		t.Errorf("alice's live lock was lost: %v", a.Err())
	}
	release(t, a)
}

// TestClusterLockReclaim: a lock lost only for want of renewals is taken
// back while its lease is unchanged, never once someone else wrote it.
func TestClusterLockReclaim(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	ca := testingclock.NewFakeClock(t0)
	a, err := Acquire(ctx, client, ns, "shop", "prod", alice, short(ca))
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	a.lostErr, a.lapsedErr = fmt.Errorf("%w: not renewed", ErrLockLost), true
	a.mu.Unlock()
	b, err := a.Reclaim(ctx)
	if err != nil {
		t.Fatalf("Reclaim of an unchanged lease: %v", err)
	}
	if _, err := ForceUnlock(ctx, client, ns, "shop", "prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Reclaim(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("Reclaim after a forced unlock = %v, want ErrLockLost", err)
	}
	release(t, a)
	release(t, b)
}
