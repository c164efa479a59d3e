package e2e

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Given two deploys of one environment started together, 5 times by default
// (PROMOTE_E2E_LOCK_ROUNDS=20 for the figure), Then
// never do both apply: every run either exits 6 having recorded nothing,
// or holds the lock alone (the records' lifetimes never overlap).
func TestConcurrentDeploysNeverBothApply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(good)
	rounds := lockRounds(t)
	var applied, blocked int
	for round := range rounds {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i := range codes {
			wg.Go(func() {
				run := e.start("apply", "dev", "--verify", "0s")
				codes[i] = exitCode(run.Wait())
			})
		}
		wg.Wait()
		for i, c := range codes {
			switch c {
			case 0:
				applied++
			case 6:
				blocked++
			default:
				t.Errorf("round %d, run %d: exit %d, want 0 or 6", round, i, c)
			}
		}
	}
	recs, err := e.store().List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < min(applied, 10) {
		t.Errorf("%d records for %d successful runs", len(recs), applied)
	}
	slices.SortFunc(recs, func(a, b *release.Record) int { return a.Started.Compare(b.Started) })
	for i, r := range recs {
		if r.Status != release.Succeeded && r.Status != release.Superseded {
			t.Errorf("revision %d: %s (%s), want succeeded", r.Revision, r.Status, r.Reason)
		}
		if i > 0 && recs[i-1].Finished.After(r.Started) {
			t.Errorf("revisions %d and %d overlap: %s–%s and %s–%s", recs[i-1].Revision, r.Revision,
				recs[i-1].Started, recs[i-1].Finished, r.Started, r.Finished)
		}
	}
	t.Logf("%d rounds: %d runs applied, %d blocked", rounds, applied, blocked)
	if blocked == 0 {
		t.Errorf("no run was ever blocked: the runs never contended for the lock")
	}
}

// Given a rollout in progress, When its lock is broken with `unlock
// --force`, Then the holder stops without undoing, records interrupted
// and exits 6.
func TestForcedUnlockStopsTheHolder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(good)
	mustExit(t, e.promote("apply", "dev"), 0)
	e.write(app{Tag: "2.0.0", Greeting: "new", Service: true, Delay: "30s"})
	run := e.start("apply", "dev")
	e.waitForRevision(2)
	mustExit(t, e.promote("unlock", "dev", "--force"), 0)
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the holder still runs 20s after its lock was broken (lease 3s, renewed every 1s)\n%s", readFile(t, run.Stderr.(*os.File).Name()))
	}
	stderr := readFile(t, run.Stderr.(*os.File).Name())
	if code := exitCode(err); code != 6 {
		t.Fatalf("holder exited %d after a forced unlock, want 6\n%s", code, stderr)
	}
	rec := e.record(2)
	if rec.Status != release.Interrupted || !strings.Contains(rec.Reason, "broken") {
		t.Errorf("record 2: %s %q, want interrupted, broken", rec.Status, rec.Reason)
	}
	if got := e.image(); got != "registry.example.com/shop/web:2.0.0" {
		t.Errorf("image %s: the holder undid after losing its lock", got)
	}
}

// Given a rollout in progress, When CI cancels it (SIGINT, then SIGTERM
// seconds later, as GitHub Actions does), Then the undo started by the
// SIGINT finishes: exit 4, the previous release runs, the lock is free.
// A third signal stops even the undo: exit 5, interrupted.
func TestCICancelSequence(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		signals    []syscall.Signal
		wantCode   int
		wantStatus release.Status
	}{
		{"SIGINT then SIGTERM: one request", []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}, 4, release.RolledBack},
		{"a third signal stops hard", []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGTERM}, 5, release.Interrupted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			// The undo waits for revision 1's pods again: 4s.
			e.write(app{Tag: "1.0.0", Greeting: "hello", Service: true, Delay: "4s"})
			mustExit(t, e.promote("apply", "dev"), 0)
			e.write(app{Tag: "2.0.0", Greeting: "new", Service: true, Delay: "30s"})
			run := e.start("apply", "dev")
			e.waitForRevision(2)
			time.Sleep(time.Second)
			for _, s := range tt.signals {
				_ = run.Process.Signal(s)
				time.Sleep(1500 * time.Millisecond) // GitHub Actions: 7.5s
			}
			err := run.Wait()
			stderr := readFile(t, run.Stderr.(*os.File).Name())
			if code := exitCode(err); code != tt.wantCode {
				t.Fatalf("exit code %d, want %d\n%s", code, tt.wantCode, stderr)
			}
			if rec := e.record(2); rec.Status != tt.wantStatus {
				t.Errorf("record 2: %s %q, want %s", rec.Status, rec.Reason, tt.wantStatus)
			}
			if tt.wantCode == 4 {
				if got := e.image(); got != "registry.example.com/shop/web:1.0.0" {
					t.Errorf("image after the undo: %s", got)
				}
			}
			h, _, err := release.CurrentHolder(t.Context(), e.client, e.ns, "e2e", "dev")
			if err != nil || h != nil {
				t.Errorf("lock after the run: holder %v, err %v; want free", h, err)
			}
		})
	}
}

// Given a run waiting for the lock another run holds, When it gets
// SIGINT, Then it stops at once with exit 130, having recorded nothing.
func TestSignalWhileWaitingForTheLock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(app{Tag: "1.0.0", Greeting: "hello", Service: true, Delay: "10s"})
	first := e.start("apply", "dev")
	e.waitForLock()
	second := e.start("apply", "dev", "--wait-for-lock", "60s")
	time.Sleep(2 * time.Second)
	_ = second.Process.Signal(syscall.SIGINT)
	if code := exitCode(second.Wait()); code != 130 {
		t.Errorf("waiting for the lock, SIGINT: exit %d, want 130\n%s", code, readFile(t, second.Stderr.(*os.File).Name()))
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first apply: %v", err)
	}
	if recs, _ := e.store().List(t.Context()); len(recs) != 1 {
		t.Errorf("%d records, want 1: the interrupted waiter recorded something", len(recs))
	}
}

// lockRounds is how many times TestConcurrentDeploysNeverBothApply starts
// its two deploys: PROMOTE_E2E_LOCK_ROUNDS, 5 by default to keep `make
// test` short (each round is a full apply).
func lockRounds(t *testing.T) int {
	t.Helper()
	if s := os.Getenv("PROMOTE_E2E_LOCK_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PROMOTE_E2E_LOCK_ROUNDS=%q: want a positive number", s)
		}
		return n
	}
	return 5
}
