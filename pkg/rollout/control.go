package rollout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/clock"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// The requests another process can make: `kubectl promote resume` and
// `abort` write one into the rollout state, the driver acts on it and
// clears it.
const (
	RequestResume = release.RequestResume
	RequestAbort  = release.RequestAbort
)

// DefaultPoll is how often a driving process reads its rollout state for
// requests.
const DefaultPoll = 250 * time.Millisecond

// forever stands for a pause without a duration.
const forever = 100 * 365 * 24 * time.Hour

// AbortedError is why a rollout stopped when someone asked for it with
// `kubectl promote abort`.
type AbortedError struct {
	By string
}

func (e *AbortedError) Error() string {
	return fmt.Sprintf("aborted by %s (kubectl promote abort)", e.By)
}

// Request writes req (RequestResume or RequestAbort) into the rollout state
// of store, for the process driving the rollout or the next one that takes
// it over. check, if not nil, sees every state read and may refuse it.
// Concurrent writers are retried. No state is an error.
func Request(ctx context.Context, store StateStore, req release.RequestKind, by string, now time.Time, check func(*release.State) error) (*release.State, error) {
	for range 10 {
		st, rv, err := store.State(ctx)
		if err != nil {
			return nil, err
		}
		if st == nil {
			return nil, fmt.Errorf("no canary or blue-green rollout is in progress")
		}
		if check != nil {
			if err := check(st); err != nil {
				return st, err
			}
		}
		st.Request = &release.Request{Kind: req, By: by, At: now.UTC()}
		_, err = store.SaveState(ctx, st, rv)
		if !errors.Is(err, release.ErrConflict) {
			return st, err
		}
	}
	return nil, fmt.Errorf("the rollout state keeps changing; try again")
}

// requestOf returns the request in st; the zero request for none.
func requestOf(st *release.State) release.Request {
	if st == nil || st.Request == nil {
		return release.Request{}
	}
	return *st.Request
}

// tracker keeps one rollout's state in the cluster, merging in the
// requests other processes leave in it.
type tracker struct {
	store StateStore
	emit  func(phase, format string, args ...any)
	phase string // progress phase of emitted lines
	clock clock.Clock

	mu      sync.Mutex
	st      release.State
	rv      string
	handled time.Time // At of the last request acted on
}

// startTracker returns the tracker of revision s.Revision: the state saved
// by an earlier process driving the same revision (resumed true), or fresh,
// replacing a state an interrupted rollout of another revision left.
func startTracker(ctx context.Context, s *Switch, fresh release.State, phase string) (*tracker, bool, error) {
	t := &tracker{store: s.Store, emit: s.Emit, phase: phase, clock: s.clock()}
	st, rv, err := s.Store.State(ctx)
	if err != nil {
		return nil, false, err
	}
	t.rv = rv
	if st != nil && st.CanaryRevision == s.Revision && st.Strategy == fresh.Strategy {
		t.st = *st
		return t, true, nil
	}
	if st != nil {
		s.replaced(ctx, st)
	}
	t.st = fresh
	return t, false, t.save(ctx, func(*release.State) {})
}

// replaced marks the record of an unfinished rollout interrupted.
func (s *Switch) replaced(ctx context.Context, st *release.State) {
	if st.Phase == PhaseHandedOff && st.BlueGreen != nil {
		s.Emit("lock", "revision %d replaces the scale-down delay of revision %d that the guard was keeping", s.Revision, st.CanaryRevision)
		return
	}
	s.Emit("lock", "warning: the %s rollout of revision %d was left unfinished (its process went away); revision %d replaces it",
		st.Strategy, st.CanaryRevision, s.Revision)
	rec, err := s.Store.Get(ctx, st.CanaryRevision)
	if err != nil || rec.Status != release.Progressing {
		return
	}
	rec.Status = release.Interrupted
	rec.Reason = fmt.Sprintf("its process went away during the %s rollout (%s); replaced by revision %d", st.Strategy, st.Phase, s.Revision)
	if err := s.Store.Update(ctx, rec); err != nil {
		s.Emit("lock", "warning: recording revision %d as interrupted: %v", rec.Revision, err)
	}
}

// loadTracker returns a tracker on whatever state is saved (none: an empty
// one), for undo.
func loadTracker(ctx context.Context, s *Switch, phase string) (*tracker, error) {
	t := &tracker{store: s.Store, emit: s.Emit, phase: phase, clock: s.clock()}
	st, rv, err := s.Store.State(ctx)
	if err != nil {
		return nil, err
	}
	if st != nil {
		t.st, t.rv = *st, rv
	}
	return t, nil
}

// state returns a copy of the current state.
func (t *tracker) state() release.State {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st
}

// save applies mutate and writes the state. When another process wrote in
// between (a request), its request is kept and the write retried.
func (t *tracker) save(ctx context.Context, mutate func(*release.State)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	mutate(&t.st)
	var err error
	for range 10 {
		var rv string
		rv, err = t.store.SaveState(ctx, &t.st, t.rv)
		if err == nil {
			t.rv = rv
			return nil
		}
		if !errors.Is(err, release.ErrConflict) {
			return err
		}
		live, liveRV, rerr := t.store.State(ctx)
		if rerr != nil {
			return rerr
		}
		t.rv = liveRV
		t.mergeRequest(live)
	}
	return err
}

// mergeRequest keeps a request another process wrote into live, unless it
// is one this tracker already acted on.
func (t *tracker) mergeRequest(live *release.State) {
	r := requestOf(live)
	if r.Kind == "" || r.At.Equal(t.handled) {
		return
	}
	t.st.Request = &r
}

// consume marks r handled and clears it from the state.
func (t *tracker) consume(ctx context.Context, r release.Request, message string) error {
	t.mu.Lock()
	t.handled = r.At
	t.mu.Unlock()
	return t.save(ctx, func(st *release.State) {
		if requestOf(st).At.Equal(r.At) {
			st.Request = nil
		}
		if message != "" {
			st.Message = message
		}
	})
}

// clear deletes the state: the rollout is over.
func (t *tracker) clear(ctx context.Context) error {
	return t.store.ClearState(ctx)
}

// watchRequests reads the state every poll until ctx ends. An abort
// request cancels the rollout through cancel with an *AbortedError; a
// resume request is handed to resume while the rollout is paused, and
// cleared as pointless otherwise.
func (t *tracker) watchRequests(ctx context.Context, poll time.Duration, cancel context.CancelCauseFunc, resume chan<- release.Request) {
	tick := t.clock.NewTimer(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C():
			tick.Reset(poll)
		}
		st, _, err := t.store.State(ctx)
		r := requestOf(st)
		if err != nil || r.Kind == "" || r.At.Equal(t.handledAt()) {
			continue
		}
		switch {
		case r.Kind == RequestAbort:
			t.emit(t.phase, "abort requested by %s", r.By)
			cancel(&AbortedError{By: r.By})
			return
		case r.Kind == RequestResume && t.state().Paused:
			select {
			case resume <- r:
			default:
			}
		case r.Kind == RequestResume:
			_ = t.consume(ctx, r, "")
			t.emit(t.phase, "ignoring the resume request of %s: the rollout is not paused", r.By)
		}
	}
}

func (t *tracker) handledAt() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.handled
}

// abortCause returns the *AbortedError that ended ctx, if any.
func abortCause(ctx context.Context) error {
	var a *AbortedError
	if errors.As(context.Cause(ctx), &a) {
		return a
	}
	return nil
}

// stepErr turns an error seen while ctx was aborted into the abort itself.
func stepErr(ctx context.Context, err error) error {
	if a := abortCause(ctx); a != nil {
		return a
	}
	return err
}

// hold keeps the rollout paused for d (0: until resumed), until a resume
// request arrives on resume, or until ctx ends (abort, signal). Meanwhile
// the fail-fast watch keeps following objs: a failure ends the pause with
// it.
func (t *tracker) hold(ctx context.Context, s *Switch, objs []*unstructured.Unstructured, d time.Duration, resume <-chan release.Request) error {
	verify := d
	if d <= 0 {
		verify = forever
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- watchFor(wctx, s, objs, verify) }()
	select {
	case err := <-done:
		return stepErr(ctx, err)
	case r := <-resume:
		cancel()
		<-done
		s.Emit(t.phase, "resumed by %s", r.By)
		return t.consume(ctx, r, "resumed by "+r.By)
	}
}

// watchFor watches objs for d once they are healthy; with nothing to
// watch it only waits.
func watchFor(ctx context.Context, s *Switch, objs []*unstructured.Unstructured, d time.Duration) error {
	if len(objs) > 0 {
		return s.Watch(ctx, objs, s.Health.Timeout.D(), d)
	}
	timer := s.clock().NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C():
		return nil
	}
}
