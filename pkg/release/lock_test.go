package release

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

func TestLockOptionsDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      LockOptions
		want    LockOptions
		wantErr bool
	}{
		{"zero", LockOptions{}, LockOptions{LeaseDuration: 30 * time.Second, RenewEvery: 10 * time.Second, RetryEvery: time.Second}, false},
		{"rounded up", LockOptions{LeaseDuration: 1500 * time.Millisecond},
			LockOptions{LeaseDuration: 2 * time.Second, RenewEvery: 2 * time.Second / 3, RetryEvery: time.Second}, false},
		{"kept", LockOptions{LeaseDuration: 2 * time.Second, RenewEvery: 500 * time.Millisecond, WaitFor: time.Minute, RetryEvery: 50 * time.Millisecond},
			LockOptions{LeaseDuration: 2 * time.Second, RenewEvery: 500 * time.Millisecond, WaitFor: time.Minute, RetryEvery: 50 * time.Millisecond}, false},
		{"renewal too slow", LockOptions{LeaseDuration: 2 * time.Second, RenewEvery: 2 * time.Second}, LockOptions{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.withDefaults()
			if (err != nil) != tt.wantErr {
				t.Fatalf("withDefaults() error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if _, ok := got.Clock.(clock.RealClock); !ok {
				t.Errorf("Clock = %T, want clock.RealClock", got.Clock)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(LockOptions{}, "Clock")); diff != "" {
				t.Errorf("withDefaults() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	mt := func(t time.Time) *metav1.MicroTime { return &metav1.MicroTime{Time: t} }
	tests := []struct {
		name string
		spec coordinationv1.LeaseSpec
		want time.Time
	}{
		{"renewed", coordinationv1.LeaseSpec{AcquireTime: mt(t0), RenewTime: mt(t0.Add(10 * time.Second)), LeaseDurationSeconds: ptr.To[int32](30)}, t0.Add(40 * time.Second)},
		{"never renewed", coordinationv1.LeaseSpec{AcquireTime: mt(t0), LeaseDurationSeconds: ptr.To[int32](30)}, t0.Add(30 * time.Second)},
		{"no times", coordinationv1.LeaseSpec{LeaseDurationSeconds: ptr.To[int32](30)}, time.Time{}.Add(30 * time.Second)},
		{"no duration", coordinationv1.LeaseSpec{RenewTime: mt(t0)}, t0},
	}
	for _, tt := range tests {
		if got := expiry(&coordinationv1.Lease{Spec: tt.spec}); !got.Equal(tt.want) {
			t.Errorf("%s: expiry() = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestLockedError(t *testing.T) {
	err := exitcode.With(exitcode.Blocked, &LockedError{
		Lease: "Lease/shop/promote-shop-prod", Environment: "prod",
		Holder:  Holder{User: "alice", Host: "laptop", PID: 42},
		Renewed: t0, Expires: t0.Add(30 * time.Second), Now: t0.Add(5 * time.Second),
	})
	want := "Lease/shop/promote-shop-prod: locked by alice@laptop (pid 42); the lease expires in 25s (at 2030-01-02T03:04:35Z) unless renewed; " +
		"wait for it with --wait-for-lock, or if that process is gone break it with `kubectl promote unlock prod --force`"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("Error() (-want +got):\n%s", diff)
	}
	var le *LockedError
	if exitcode.Code(err) != exitcode.Blocked || !errors.As(err, &le) || le.Holder.User != "alice" {
		t.Errorf("error %v: want exit code %d and a *LockedError", err, exitcode.Blocked)
	}
	if !strings.Contains(err.Error(), "alice@laptop") {
		t.Errorf("error %q does not name the holder", err)
	}
}

// TestJudge: a lease expires one lease duration after this reader first saw
// its current version, whatever the holder's clock says.
func TestJudge(t *testing.T) {
	lease := func(rv string, renewed time.Time) *coordinationv1.Lease {
		return &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{ResourceVersion: rv},
			Spec:       coordinationv1.LeaseSpec{RenewTime: &metav1.MicroTime{Time: renewed}, LeaseDurationSeconds: ptr.To[int32](30)},
		}
	}
	type look struct {
		lease *coordinationv1.Lease
		at    time.Time
	}
	tests := []struct {
		name           string
		looks          []look
		wantExpired    bool
		wantConfirming bool
	}{
		{"fresh, first look", []look{{lease("1", t0), t0}}, false, false},
		{"holder clock ahead, unchanged for a lease", []look{{lease("1", t0.Add(time.Hour)), t0}, {lease("1", t0.Add(time.Hour)), t0.Add(30 * time.Second)}}, true, false},
		{"stale by the holder's clock, first look", []look{{lease("1", t0.Add(-time.Hour)), t0}}, false, true},
		{"stale, unchanged for a lease", []look{{lease("1", t0.Add(-time.Hour)), t0}, {lease("1", t0.Add(-time.Hour)), t0.Add(30 * time.Second)}}, true, false},
		{"stale but renewed meanwhile", []look{{lease("1", t0.Add(-time.Hour)), t0}, {lease("2", t0.Add(-time.Hour+time.Second)), t0.Add(time.Second)}}, false, false},
		{"renewed, then unchanged for less than a lease", []look{{lease("1", t0), t0}, {lease("2", t0), t0.Add(20 * time.Second)}, {lease("2", t0), t0.Add(49 * time.Second)}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &Lock{ref: "Lease/shop/promote-shop-prod", environment: "prod"}
			var err error
			for _, lk := range tt.looks {
				err = l.judge(lk.lease, identity{Holder: alice}, lk.at)
			}
			if got := err == nil; got != tt.wantExpired {
				t.Fatalf("expired = %v (%v), want %v", got, err, tt.wantExpired)
			}
			var le *LockedError
			if err != nil && errors.As(err, &le) && le.confirming != tt.wantConfirming {
				t.Errorf("confirming = %v, want %v", le.confirming, tt.wantConfirming)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.DeadlineExceeded, true},
		{apierrors.NewServiceUnavailable("down"), true},
		{apierrors.NewForbidden(schema.GroupResource{Resource: "leases"}, "x", errors.New("no")), false},
		{apierrors.NewConflict(schema.GroupResource{Resource: "leases"}, "x", errors.New("changed")), false},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
	}
	for _, tt := range tests {
		if got := Unreachable(tt.err); got != tt.want {
			t.Errorf("Unreachable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
