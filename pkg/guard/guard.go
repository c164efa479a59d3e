package guard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// DefaultInterval is the default Options.Interval.
const DefaultInterval = 2 * time.Second

// Options configure a Guard.
type Options struct {
	// Envs are the environments guarded: each one's deploy request as
	// `apply` would build it (pipeline, environment, namespace, clients,
	// resolved health, history, lock options). The guard's undo runs it
	// with the previous release's objects; Health.GuardWindow() is the
	// window.
	Envs []promote.Request
	// Holder is who the guard is, in locks and in the records of its undos.
	Holder release.Holder
	// Interval is how often the guard reads an environment's records and
	// lock (default 2s): how soon it sees a new release or a run that
	// started deploying. Failures are seen at once, by the watch.
	Interval time.Duration
	// UntilIdle ends an environment's guard once nothing is left to do
	// there: its newest successful release is past its window, or the
	// guard acted on a failure of it. Without it Run goes on until ctx ends.
	UntilIdle bool
	// Notifier receives every event; nil discards them.
	Notifier Notifier
	// Metrics records them; nil records nothing.
	Metrics *Metrics
	// Clock is the guard's clock (default the real one).
	Clock clock.Clock
}

// Guard watches the environments of Options.
type Guard struct {
	o Options

	mu      sync.Mutex
	summary Summary
}

// New returns a Guard of o with the defaults filled in.
func New(o Options) *Guard {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Notifier == nil {
		o.Notifier = NotifierFunc(func(context.Context, Event) {})
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return &Guard{o: o}
}

// Summary counts what the guard did to failed releases.
type Summary struct {
	RolledBack int `json:"rolledBack"`
	UndoFailed int `json:"undoFailed"`
	NoUndo     int `json:"noUndo"`
}

// Err is the summary as a process outcome: exit 5 when an undo failed or
// nothing could be undone (a person is needed), 4 when a release was
// rolled back, nil when the guard had nothing to undo.
func (s Summary) Err() error {
	switch {
	case s.UndoFailed > 0 || s.NoUndo > 0:
		return exitcode.With(exitcode.UndoFailed, fmt.Errorf("guard: %d undo(s) failed and %d release(s) had nothing to go back to: the environments need a person", s.UndoFailed, s.NoUndo))
	case s.RolledBack > 0:
		return exitcode.With(exitcode.RolledBack, fmt.Errorf("guard: %d release(s) failed late and were undone", s.RolledBack))
	}
	return nil
}

// Summary returns what the guard did so far.
func (g *Guard) Summary() Summary {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.summary
}

func (g *Guard) count(k Kind) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch k {
	case RolledBack:
		g.summary.RolledBack++
	case UndoFailed:
		g.summary.UndoFailed++
	case NoUndo:
		g.summary.NoUndo++
	}
}

// Run guards every environment until ctx ends or, with UntilIdle, until
// none has anything left to guard. It returns ctx's error only when ctx
// ended it without UntilIdle having been reached.
func (g *Guard) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(g.o.Envs))
	for i, req := range g.o.Envs {
		wg.Go(func() { errs[i] = newEnvGuard(g, req).run(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (g *Guard) emit(ctx context.Context, e Event) {
	if e.Time.IsZero() {
		e.Time = g.o.Clock.Now()
	}
	g.o.Notifier.Notify(ctx, e)
}

// sleep waits d, or until ctx ends.
func (g *Guard) sleep(ctx context.Context, d time.Duration) error {
	t := g.o.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
