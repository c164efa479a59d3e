package promote

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// run is one deploy under test: its fakes and the hooks a scenario uses to
// interrupt it.
type run struct {
	store    *fakeStore
	lock     *fakeLock
	strategy *fakeStrategy
	signal   context.CancelFunc // the first signal
	hardStop context.CancelFunc // a further signal
	locker   Locker
	dryRun   func(ctx context.Context) error
	// namespace stands for making the namespace exist (nil: it does).
	namespace func(ctx context.Context, objs []*unstructured.Unstructured) error
	// notifier is told about the release (nil: no one is).
	notifier Notifier
}

func newRun(t *testing.T) *run {
	t.Helper()
	prev := &release.Record{Pipeline: "shop", Environment: "dev", Namespace: "shop-dev", Revision: 1, Status: release.Succeeded}
	r := &run{store: newFakeStore(prev), lock: newFakeLock(), strategy: &fakeStrategy{rollout: func(context.Context) error { return nil }}}
	r.locker = fakeLocker{lock: r.lock}
	return r
}

func (r *run) deploy(t *testing.T) (*Result, error) {
	t.Helper()
	t.Setenv("GITHUB_SHA", "abc123")
	ctx, signal := context.WithCancel(t.Context())
	hard, hardStop := context.WithCancel(context.WithoutCancel(t.Context()))
	r.signal, r.hardStop = signal, hardStop
	defer signal()
	defer hardStop()
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "web", "namespace": "shop-dev"},
	}}
	req := Request{
		Pipeline: "shop", Env: &pipeline.Environment{Name: "dev"}, Namespace: "shop-dev",
		Objects: []*unstructured.Unstructured{cm}, Holder: release.Holder{User: "alice", Host: "laptop"},
		Health:   pipeline.Health{UndoTimeout: pipeline.Duration(time.Minute)},
		HardStop: hard, Clock: testingclock.NewFakeClock(t0), Notify: r.notifier,
	}
	req.defaults()
	d := newDeployment(req, deps{
		store: r.store, locker: r.locker,
		preflight: func(ctx context.Context, _ []*unstructured.Unstructured, _ diff.Options) (*diff.ChangeSet, error) {
			if r.dryRun != nil {
				if err := r.dryRun(ctx); err != nil {
					return nil, err
				}
			}
			return &diff.ChangeSet{}, nil
		},
		strategy: func(*pipeline.Environment) (rollout.Strategy, error) { return r.strategy, nil },
		namespace: func(ctx context.Context, objs []*unstructured.Unstructured) error {
			if r.namespace != nil {
				return r.namespace(ctx, objs)
			}
			return nil
		},
	})
	return d.run(ctx)
}

// errBroken is the error of a lock broken with unlock --force.
var errBroken = fmt.Errorf("lease promote-shop-dev: %w: it was broken (kubectl promote unlock --force)", release.ErrLockLost)

// TestDeployOutcomes: each way a deploy can end, as the record's status,
// the exit code and whether it undid anything.
func TestDeployOutcomes(t *testing.T) {
	tests := []struct {
		name string
		// setup scripts the fakes; r.signal, r.hardStop and r.lock.lose
		// interrupt the run from inside them.
		setup      func(r *run)
		wantStatus release.Status // of revision 2; "" for no record
		wantCode   int
		wantUndo   bool
		wantReason string
	}{
		{
			name:       "healthy",
			setup:      func(*run) {},
			wantStatus: release.Succeeded, wantCode: 0,
		},
		{
			name: "handed to the guard: left progressing, nothing undone",
			setup: func(r *run) {
				r.strategy.rollout = func(context.Context) error { return fmt.Errorf("step 2/3: %w", rollout.ErrHandedOff) }
			},
			wantStatus: release.Progressing, wantCode: 0,
		},
		{
			name: "unhealthy, undone",
			setup: func(r *run) {
				r.strategy.rollout = func(context.Context) error { return errUnhealthy }
			},
			wantStatus: release.RolledBack, wantCode: exitcode.RolledBack, wantUndo: true, wantReason: "CrashLoopBackOff",
		},
		{
			name: "unhealthy, the undo fails too",
			setup: func(r *run) {
				r.strategy.rollout = func(context.Context) error { return errUnhealthy }
				r.strategy.undo = func(context.Context) error { return fmt.Errorf("Deployment/shop-dev/web: forbidden") }
			},
			wantStatus: release.UndoFailed, wantCode: exitcode.UndoFailed, wantUndo: true, wantReason: "undo: Deployment/shop-dev/web: forbidden",
		},
		{
			name: "signal during the dry-run: nothing changed",
			setup: func(r *run) {
				r.dryRun = func(ctx context.Context) error { r.signal(); return untilDone(ctx) }
			},
			wantCode: exitcode.Cluster,
		},
		{
			name: "signal during the rollout: undone",
			setup: func(r *run) {
				r.strategy.rollout = func(ctx context.Context) error { r.signal(); return untilDone(ctx) }
			},
			wantStatus: release.RolledBack, wantCode: exitcode.RolledBack, wantUndo: true, wantReason: "interrupted",
		},
		{
			name: "CI cancel sequence: the undo still finishes",
			setup: func(r *run) {
				r.strategy.rollout = func(ctx context.Context) error { r.signal(); return untilDone(ctx) }
				// SIGTERM after SIGINT counts as the same request: the
				// hard stop is not cancelled, the undo ends normally.
				r.strategy.undo = func(ctx context.Context) error { return ctx.Err() }
			},
			wantStatus: release.RolledBack, wantCode: exitcode.RolledBack, wantUndo: true,
		},
		{
			name: "signal right after a healthy rollout: still recorded succeeded",
			setup: func(r *run) {
				r.strategy.rollout = func(context.Context) error { r.signal(); return nil }
			},
			wantStatus: release.Succeeded, wantCode: 0,
		},
		{
			name: "further signal during the undo: stopped hard",
			setup: func(r *run) {
				r.strategy.rollout = func(ctx context.Context) error { r.signal(); return untilDone(ctx) }
				r.strategy.undo = func(ctx context.Context) error { r.hardStop(); return untilDone(ctx) }
			},
			wantStatus: release.Interrupted, wantCode: exitcode.UndoFailed, wantUndo: true, wantReason: "undo interrupted",
		},
		{
			name: "lock lost during the dry-run: nothing changed",
			setup: func(r *run) {
				r.dryRun = func(ctx context.Context) error { r.lock.lose(errBroken, false); return untilDone(ctx) }
			},
			wantCode: exitcode.Blocked,
		},
		{
			name: "lock lost during the rollout: stopped without undoing",
			setup: func(r *run) {
				r.strategy.rollout = func(ctx context.Context) error { r.lock.lose(errBroken, false); return untilDone(ctx) }
			},
			wantStatus: release.Interrupted, wantCode: exitcode.Blocked, wantReason: "broken (kubectl promote unlock --force)",
		},
		{
			name: "lock lost during the undo: the undo stops",
			setup: func(r *run) {
				r.strategy.rollout = func(context.Context) error { return errUnhealthy }
				r.strategy.undo = func(ctx context.Context) error { r.lock.lose(errBroken, false); return untilDone(ctx) }
			},
			wantStatus: release.Interrupted, wantCode: exitcode.Blocked, wantUndo: true, wantReason: "during the undo",
		},
		{
			name: "lock lapsed (apiserver away), taken back: the rollout goes on",
			setup: func(r *run) {
				r.lock.reclaim = func() (HeldLock, error) { return newFakeLock(), nil }
				r.strategy.rollout = func(ctx context.Context) error {
					r.lock.lose(fmt.Errorf("%w: not renewed", release.ErrLockLost), true)
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(100 * time.Millisecond):
						return nil
					}
				}
			},
			wantStatus: release.Succeeded, wantCode: 0,
		},
		{
			name: "lock lapsed and taken by someone else meanwhile",
			setup: func(r *run) {
				r.strategy.rollout = func(ctx context.Context) error {
					r.lock.lose(fmt.Errorf("%w: not renewed", release.ErrLockLost), true)
					return untilDone(ctx)
				}
			},
			wantStatus: release.Interrupted, wantCode: exitcode.Blocked, wantReason: "taken over by bob",
		},
		{
			name: "the record cannot be created: nothing changed",
			setup: func(r *run) {
				r.store.createErr = fmt.Errorf("Secret/shop-dev/x: forbidden")
				r.strategy.rollout = func(context.Context) error { panic("rolled out without a record") }
			},
			wantCode: exitcode.Cluster,
		},
		{
			name: "locked by someone else",
			setup: func(r *run) {
				r.locker = fakeLocker{err: exitcode.With(exitcode.Blocked, &release.LockedError{Holder: release.Holder{User: "bob"}})}
			},
			wantCode: exitcode.Blocked,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRun(t)
			tt.setup(r)
			_, err := r.deploy(t)
			if got := exitcode.Code(err); got != tt.wantCode {
				t.Errorf("exit code %d (%v), want %d", got, err, tt.wantCode)
			}
			rec := r.store.get(2)
			var got release.Status
			if rec != nil {
				got = rec.Status
			}
			if got != tt.wantStatus {
				t.Errorf("record status %q, want %q", got, tt.wantStatus)
			}
			if rec != nil && !strings.Contains(rec.Reason, tt.wantReason) {
				t.Errorf("record reason %q, want it to contain %q", rec.Reason, tt.wantReason)
			}
			if r.strategy.undone != tt.wantUndo {
				t.Errorf("undone %v, want %v", r.strategy.undone, tt.wantUndo)
			}
			if rec != nil && tt.wantStatus != release.Succeeded && tt.wantStatus != release.Progressing && rec.Finished.IsZero() {
				t.Errorf("record not finished: %+v", rec)
			}
		})
	}
}

// TestDeployTakesOverAStaleLock: the records the stale lock's holder left
// progressing are recorded interrupted, naming who and when.
func TestDeployTakesOverAStaleLock(t *testing.T) {
	r := newRun(t)
	r.store = newFakeStore(
		&release.Record{Revision: 1, Status: release.Succeeded},
		&release.Record{Revision: 2, Status: release.Progressing},
	)
	r.lock.tookOver = &release.Holder{User: "bob", Host: "ci-7", PID: 9}
	res, err := r.deploy(t)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.lock.tookOver, res.TookOverFrom); diff != "" {
		t.Errorf("TookOverFrom (-want +got):\n%s", diff)
	}
	left := r.store.get(2)
	want := "interrupted: the run of bob@ci-7 (pid 9) stopped renewing the lock; alice@laptop took the stale lock over at 2030-01-02T03:04:05Z"
	if left.Status != release.Interrupted || left.Reason != want {
		t.Errorf("revision 2: %s %q, want interrupted %q", left.Status, left.Reason, want)
	}
	if got := r.store.get(3); got == nil || got.Status != release.Succeeded {
		t.Errorf("revision 3: %+v, want succeeded", got)
	}
	if !r.lock.released {
		t.Errorf("the lock was not released")
	}
}
