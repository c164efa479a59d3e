package release

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
)

// observation is a held lease as a would-be taker saw it: which version,
// since when on the taker's own clock, and whether it is watching it to
// confirm that its holder is gone.
type observation struct {
	resourceVersion string
	since           time.Time
	confirming      bool
}

// judge decides whether the held lease live may be taken over at now.
// As client-go's leader election does, expiry is judged by this reader's
// own clock: the lease expires one lease duration after this reader first
// saw its current version. The holder's renewTime is only a hint that the
// holder may be gone (and then worth watching for a lease duration even
// without --wait-for-lock); clocks that disagree can never steal a live
// lock. It returns nil when the lease expired, a *LockedError otherwise.
func (l *Lock) judge(live *coordinationv1.Lease, held identity, now time.Time) error {
	changed := live.ResourceVersion != l.observed.resourceVersion
	if changed {
		stale := !now.Before(expiry(live))
		// A lease that changed while it was being confirmed is renewed:
		// its holder lives.
		l.observed = observation{resourceVersion: live.ResourceVersion, since: now,
			confirming: stale && l.observed.resourceVersion == ""}
	}
	expires := l.observed.since.Add(leaseDuration(live))
	if !now.Before(expires) {
		return nil
	}
	return &LockedError{Lease: l.ref, Environment: l.environment, Holder: held.Holder,
		Renewed: renewTime(live), Expires: expires, Now: now, confirming: l.observed.confirming}
}
