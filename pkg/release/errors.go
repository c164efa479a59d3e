package release

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors; test with errors.Is. The errors returned wrap them with
// the object they concern.
var (
	// ErrNotFound: no record of that revision.
	ErrNotFound = errors.New("release record not found")
	// ErrExists: a record of that revision exists already.
	ErrExists = errors.New("release record already exists")
	// ErrTooLarge: the encoded record does not fit a Secret.
	ErrTooLarge = errors.New("release record too large")
	// ErrConflict: the rollout state changed since it was read.
	ErrConflict = errors.New("rollout state changed since it was read")
	// ErrLockLost: the lock was broken or taken over while held.
	ErrLockLost = errors.New("lock lost")
)

// LockedError says who holds the lock an Acquire wanted. Acquire returns it
// wrapped with exitcode.Blocked.
type LockedError struct {
	// Lease is "Lease/namespace/name".
	Lease       string
	Environment string
	Holder      Holder
	// Renewed is the holder's last renewal, by the holder's clock.
	Renewed time.Time
	// Expires is when the lease may be taken over unless renewed: one lease
	// duration after this reader first saw it as it is, by its own clock.
	Expires time.Time
	// Now is when the lease was checked, to say how long is left.
	Now time.Time

	// confirming: the holder's own clock says the lease expired, and
	// Acquire is watching it until Expires to make sure.
	confirming bool
}

func (e *LockedError) Error() string {
	left := e.Expires.Sub(e.Now).Round(time.Second)
	if e.confirming {
		return fmt.Sprintf("%s: locked by %s, not renewed since %s; it is taken over if it stays unchanged until %s (one lease duration of this machine's clock); "+
			"if that process is gone, break it with `kubectl promote unlock %s --force`",
			e.Lease, e.Holder, e.Renewed.UTC().Format(time.RFC3339), e.Expires.UTC().Format(time.RFC3339), e.Environment)
	}
	return fmt.Sprintf("%s: locked by %s; the lease expires in %s (at %s) unless renewed; "+
		"wait for it with --wait-for-lock, or if that process is gone break it with `kubectl promote unlock %s --force`",
		e.Lease, e.Holder, left, e.Expires.UTC().Format(time.RFC3339), e.Environment)
}
