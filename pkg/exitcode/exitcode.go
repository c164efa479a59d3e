// Package exitcode carries the documented process exit codes (README, DESIGN
// §3) through ordinary Go errors, so library packages can say what kind of
// failure happened without knowing about the process that reports it.
package exitcode

import "errors"

// The documented exit codes.
const (
	OK          = 0
	Differences = 1 // diff only: differences found
	BadInput    = 2 // flags, promote.yaml, render errors; nothing was changed
	Cluster     = 3 // cluster error before any change
	RolledBack  = 4 // rollout failed and was undone
	UndoFailed  = 5 // rollout failed and the undo failed too
	Blocked     = 6 // gate not met, or the environment is locked
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

// Code returns the exit code carried by err: 0 for nil, the innermost
// attached code otherwise, and 1 for an error that carries none.
func Code(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 1
}
