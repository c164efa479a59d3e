package release

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
