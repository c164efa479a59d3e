package watch

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// step is one observed pod status, seen at t0+after.
type step struct {
	after time.Duration
	pod   *corev1.Pod
}

// TestFactsFlickeringReadiness feeds the statuses a crash-looping pod goes
// through when its Ready bit flickers (Ready between crashes, as a
// container that crashes some seconds after starting shows). No single
// status but the last breaks the restart limit; Ready=True on the last one
// does not hide it, and later healthy-looking statuses do not take the
// failure back nor move its time.
func TestFactsFlickeringReadiness(t *testing.T) {
	seq := []step{
		{0, newPod(waiting("ContainerCreating", ""))},
		{1 * time.Second, newPod()},
		{2 * time.Second, newPod(ready(false), restarts(1), lastTerminated("Error", 1))},
		{3 * time.Second, newPod(restarts(1), lastTerminated("Error", 1))},
		{4 * time.Second, newPod(ready(false), restarts(2), lastTerminated("Error", 1))},
		{5 * time.Second, newPod(restarts(2), lastTerminated("Error", 1))},
		{6 * time.Second, newPod(restarts(3), lastTerminated("Error", 1))}, // Ready, but the third restart
		{7 * time.Second, newPod(restarts(3), lastTerminated("Error", 1))},
		{8 * time.Second, newPod()}, // even a status that looks brand new
	}
	want := &Failure{
		Object: "Pod/shop/web-1", Container: "web", Reason: ReasonRestartLimit,
		Message: "restarted 3 times (limit 2); last exit: Error, code 1", Observed: t0.Add(6 * time.Second),
	}
	s := newFactStore(DefaultOptions())
	for i, st := range seq {
		now := t0.Add(st.after)
		s.observe(st.pod, false, now)
		got, _ := s.check(st.pod, now)
		if i < 6 {
			if got != nil {
				t.Fatalf("status %d: failed early: %v", i, got)
			}
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("status %d (-want +got):\n%s", i, diff)
		}
	}
}

// TestFactsCrashLoopSeenOnce: a CrashLoopBackOff seen in one status and
// gone from the next (the container restarted and is briefly Ready) still
// fails, at the time it was seen.
func TestFactsCrashLoopSeenOnce(t *testing.T) {
	s := newFactStore(DefaultOptions())
	crash := newPod(ready(false), restarts(1), waiting("CrashLoopBackOff", "back-off 10s"))
	s.observe(crash, false, t0)
	s.observe(newPod(restarts(1)), false, t0.Add(time.Second))
	got, _ := s.check(newPod(restarts(1)), t0.Add(2*time.Second))
	want := &Failure{Object: "Pod/shop/web-1", Container: "web", Reason: "CrashLoopBackOff", Message: "back-off 10s", Observed: t0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestFactsBaseline: restarts and OOM kills of a pod that existed before
// the watch (listed initially) are history; only new ones count.
func TestFactsBaseline(t *testing.T) {
	tests := []struct {
		name     string
		existing bool
		first    *corev1.Pod
		later    *corev1.Pod
		want     string // reason, or "" for none
	}{
		{"old restarts of an existing pod", true, newPod(restarts(7)), newPod(restarts(9)), ""},
		{"new restarts of an existing pod", true, newPod(restarts(7)), newPod(restarts(10)), ReasonRestartLimit},
		{"restarts of a pod created during the watch", false, newPod(restarts(0)), newPod(restarts(3)), ReasonRestartLimit},
		{"an old OOM kill", true, newPod(restarts(1), lastTerminated("OOMKilled", 137)), newPod(restarts(1), lastTerminated("OOMKilled", 137)), ""},
		{"a new OOM kill", true, newPod(restarts(1), lastTerminated("OOMKilled", 137)), newPod(restarts(2), lastTerminated("OOMKilled", 137)), ReasonOOMKilled},
		{"an existing pod crash-looping now", true, newPod(restarts(9), waiting("CrashLoopBackOff", "")), newPod(restarts(9), waiting("CrashLoopBackOff", "")), "CrashLoopBackOff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFactStore(DefaultOptions())
			s.observe(tt.first, tt.existing, t0)
			s.observe(tt.later, false, t0.Add(time.Second))
			got, _ := s.check(tt.later, t0.Add(time.Second))
			reason := ""
			if got != nil {
				reason = got.Reason
			}
			if reason != tt.want {
				t.Errorf("failure %v, want reason %q", got, tt.want)
			}
		})
	}
}

// TestFactsUnschedulableGrace measures the grace from when the watch first
// saw the condition when it carries no lastTransitionTime, and says when to
// look again.
func TestFactsUnschedulableGrace(t *testing.T) {
	o := Options{UnschedulableGrace: 10 * time.Second}.withDefaults()
	s := newFactStore(o)
	p := newPod(unschedulableSince(time.Time{}))
	s.observe(p, false, t0)
	got, wake := s.check(p, t0.Add(10*time.Second))
	if got != nil {
		t.Fatalf("within grace: %v", got)
	}
	if want := t0.Add(10*time.Second + time.Millisecond); !wake.Equal(want) {
		t.Errorf("wake = %v, want %v", wake, want)
	}
	got, _ = s.check(p, wake)
	if got == nil || got.Reason != ReasonUnschedulable || !got.Observed.Equal(wake) {
		t.Errorf("past grace: got %#v", got)
	}
}

// TestFactsUnseenPod: a pod in the cache that no handler has seen yet is
// not judged (its baseline is unknown).
func TestFactsUnseenPod(t *testing.T) {
	s := newFactStore(DefaultOptions())
	if got, _ := s.check(newPod(restarts(9)), t0); got != nil {
		t.Errorf("unseen pod judged: %v", got)
	}
}
