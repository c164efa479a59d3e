package guard

import (
	"context"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Kind is what happened to a guarded environment.
type Kind string

// The kinds of Event, in the order they usually come.
const (
	// Skipped: the environment is not guarded (health.guard 0).
	Skipped Kind = "skipped"
	// Guarding: a release is watched until Event.Until.
	Guarding Kind = "guarding"
	// Passed: the release stayed healthy through its window.
	Passed Kind = "passed"
	// Detected: the watch found the release failing (Event.Failure).
	Detected Kind = "failure-detected"
	// LeftAlone: another run holds the environment's lock; the guard
	// leaves the environment to it and looks again later.
	LeftAlone Kind = "left-alone"
	// Handled: under the lock, the failed release was no longer the
	// newest successful one: someone undid or replaced it already.
	Handled Kind = "already-handled"
	// UndoStarted: the guard holds the lock and starts re-applying
	// Event.Target.
	UndoStarted Kind = "undo-started"
	// Progress is one line of the undo's deploy (Event.Message).
	Progress Kind = "progress"
	// RolledBack: the undo succeeded; the failed release is recorded
	// rolled-back by the guard.
	RolledBack Kind = "rolled-back"
	// UndoFailed: the undo failed; the release is recorded undo-failed.
	UndoFailed Kind = "undo-failed"
	// NoUndo: nothing earlier to go back to; the release is recorded failed.
	NoUndo Kind = "no-undo"
	// ScaledDown: the scale-down delay a blue-green deploy handed to the
	// guard ended; the old colour is scaled to zero.
	ScaledDown Kind = "scaled-down"
	// Continuing: a canary's deploy handed its timed pause to the guard,
	// which takes the rollout over and carries it on.
	Continuing Kind = "continuing"
	// Continued: a canary the guard carried on was promoted; its release
	// succeeded (and is guarded from then on).
	Continued Kind = "continued"
	// Error: the guard could not read or write the cluster; it retries.
	Error Kind = "error"
)

// Event is one thing the guard saw or did.
type Event struct {
	Time        time.Time
	Kind        Kind
	Environment string
	Namespace   string
	// Revision is the guarded release's.
	Revision int
	// Target is the revision an undo goes back to.
	Target int
	// Until is the end of the release's guard window (Guarding).
	Until time.Time
	// Failure is what the watch found (Detected and the undo's kinds).
	Failure *release.Failure
	Message string
}

// Notifier receives every event of the guard: the CLI logs them, and
// notifications are sent from here. Notify must not block for long: the
// guard calls it in line, before it undoes.
type Notifier interface {
	Notify(ctx context.Context, e Event)
}

// NotifierFunc is a func as a Notifier.
type NotifierFunc func(ctx context.Context, e Event)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, e Event) { f(ctx, e) }

// Notifiers sends each event to every one of ns, in order.
type Notifiers []Notifier

// Notify calls every notifier.
func (ns Notifiers) Notify(ctx context.Context, e Event) {
	for _, n := range ns {
		n.Notify(ctx, e)
	}
}
