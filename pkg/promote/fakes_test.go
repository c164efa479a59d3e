package promote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// fakeStore keeps records and state in memory. Like the cluster, it
// refuses writes whose context ended.
type fakeStore struct {
	mu        sync.Mutex
	records   map[int]*release.Record
	state     *release.State
	createErr error
}

func newFakeStore(recs ...*release.Record) *fakeStore {
	s := &fakeStore{records: map[int]*release.Record{}}
	for _, r := range recs {
		s.records[r.Revision] = clone(r)
	}
	return s
}

// clone copies a record as the cluster would: through its encoding.
func clone(r *release.Record) *release.Record {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	var c release.Record
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

func (s *fakeStore) get(rev int) *release.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.records[rev]; ok {
		return clone(r)
	}
	return nil
}

func (s *fakeStore) State(ctx context.Context) (*release.State, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		return nil, "", ctx.Err()
	}
	st := *s.state
	return &st, "1", ctx.Err()
}

func (s *fakeStore) SaveState(ctx context.Context, st *release.State, _ string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *st
	s.state = &c
	return "1", nil
}

func (s *fakeStore) ClearState(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = nil
	return ctx.Err()
}

func (s *fakeStore) Get(ctx context.Context, revision int) (*release.Record, error) {
	if r := s.get(revision); r != nil {
		return r, ctx.Err()
	}
	return nil, release.ErrNotFound
}

func (s *fakeStore) Update(ctx context.Context, r *release.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("update revision %d: %w", r.Revision, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[r.Revision] = clone(r)
	return nil
}

func (s *fakeStore) List(ctx context.Context) ([]*release.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*release.Record
	for _, r := range s.records {
		out = append(out, clone(r))
	}
	slices.SortFunc(out, func(a, b *release.Record) int { return a.Revision - b.Revision })
	return out, ctx.Err()
}

func (s *fakeStore) Latest(ctx context.Context, statuses ...release.Status) (*release.Record, error) {
	recs, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range slices.Backward(recs) {
		if len(statuses) == 0 || slices.Contains(statuses, r.Status) {
			return r, nil
		}
	}
	return nil, nil
}

func (s *fakeStore) Next(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for rev := range s.records {
		n = max(n, rev)
	}
	return n + 1, ctx.Err()
}

func (s *fakeStore) Create(ctx context.Context, r *release.Record) error {
	if s.createErr != nil {
		return s.createErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[r.Revision] = clone(r)
	return nil
}

func (s *fakeStore) Prune(ctx context.Context, _ int) error { return ctx.Err() }

// fakeLock is a held lock the test loses on cue.
type fakeLock struct {
	mu       sync.Mutex
	lost     chan struct{}
	err      error
	lapsed   bool
	reclaim  func() (HeldLock, error)
	released bool
	tookOver *release.Holder
}

func newFakeLock() *fakeLock { return &fakeLock{lost: make(chan struct{})} }

// lose loses the lock: lapsed when it only could not be renewed.
func (l *fakeLock) lose(err error, lapsed bool) {
	l.mu.Lock()
	l.err, l.lapsed = err, lapsed
	l.mu.Unlock()
	close(l.lost)
}

func (l *fakeLock) Lost() <-chan struct{} { return l.lost }

func (l *fakeLock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *fakeLock) Lapsed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lapsed
}

func (l *fakeLock) Reclaim(context.Context) (HeldLock, error) {
	if l.reclaim == nil {
		return nil, fmt.Errorf("%w: taken over by bob", release.ErrLockLost)
	}
	return l.reclaim()
}

func (l *fakeLock) Release(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released = true
	return nil
}

func (l *fakeLock) TookOverFrom() *release.Holder { return l.tookOver }

type fakeLocker struct {
	lock *fakeLock
	err  error
}

func (f fakeLocker) Acquire(context.Context) (HeldLock, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.lock, nil
}

// fakeStrategy runs the test's rollout and undo.
type fakeStrategy struct {
	rollout, undo func(ctx context.Context) error
	undone        bool
	// sw is the switch of the rollout, for a rollout that saves state.
	sw *rollout.Switch
}

func (f *fakeStrategy) Rollout(ctx context.Context, sw *rollout.Switch) error {
	f.sw = sw
	return f.rollout(ctx)
}

func (f *fakeStrategy) Undo(ctx context.Context, _ *rollout.Switch) error {
	f.undone = true
	if f.undo == nil {
		return nil
	}
	return f.undo(ctx)
}

// untilDone waits for ctx to end and returns why, as a strategy or the
// dry-run would.
func untilDone(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

var errUnhealthy = errors.New("deployment web: CrashLoopBackOff")
