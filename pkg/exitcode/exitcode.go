// Package exitcode carries the documented process exit codes (see the
// README) through ordinary Go errors, so library packages can say what kind
// of failure happened without knowing about the process that reports it.
//
// No error maps to 0 or 1: 1 ("differences") is only ever the diff's own
// result, and an error that says nothing about its kind is 3, because a CI
// job that treats 1 as "fine" must never go green on a failure.
package exitcode

import (
	"context"
	"errors"
	"net"
)

// The documented exit codes.
const (
	OK          = 0
	Differences = 1 // diff only: differences found
	BadInput    = 2 // flags, promote.yaml, render errors; nothing was changed
	Cluster     = 3 // cluster error before any change
	RolledBack  = 4 // rollout failed and was undone
	UndoFailed  = 5 // rollout failed and the undo failed too
	Blocked     = 6 // gate not met, or the environment is locked

	// Unclassified is the code of an error that carries none: the same as
	// Cluster, never 1.
	Unclassified = Cluster
)

// Error attaches an exit code to an error.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// With wraps err with code; a nil err stays nil.
func With(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Has reports whether err carries an exit code of its own.
func Has(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Code returns the exit code for err: 0 for nil, otherwise the outermost
// code attached to it. An error without a code is Unclassified (3), and so
// is one marked OK, or marked Differences while it is really a timeout or a
// cancellation: a hung cluster must not read as "differences".
func Code(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if !errors.As(err, &e) {
		return Unclassified
	}
	switch {
	case e.Code == OK:
		return Unclassified
	case e.Code == Differences && Interrupted(err):
		return Unclassified
	}
	return e.Code
}

// Interrupted reports whether err is a cancellation, a deadline or a
// network timeout.
func Interrupted(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
