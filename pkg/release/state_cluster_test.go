package release

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"
)

func TestClusterState(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	s := NewStore(client, ns, "shop", "prod")
	s.Clock = testingclock.NewFakePassiveClock(t0)

	if st, rv, err := s.State(ctx); st != nil || rv != "" || err != nil {
		t.Fatalf("State() with none = %v, %q, %v; want nil, \"\", nil", st, rv, err)
	}
	st := &State{Strategy: "canary", Phase: "paused", Step: 2, Steps: 4, Weights: map[string]int{"canary": 20, "stable": 80},
		Paused: true, PauseReason: "waiting for resume", PauseStarted: t0, StableRevision: 3, CanaryRevision: 4,
		Request: &Request{Kind: RequestResume, By: "bob", At: t0}}
	rv1, err := s.SaveState(ctx, st, "")
	if err != nil {
		t.Fatal(err)
	}
	if !st.Updated.Equal(t0) {
		t.Errorf("SaveState stamped Updated = %s, want %s", st.Updated, t0)
	}
	if _, err := s.SaveState(ctx, st, ""); !errors.Is(err, ErrConflict) {
		t.Errorf("SaveState(create again) = %v, want ErrConflict", err)
	}
	st.Step, st.Weights["canary"], st.Paused = 3, 50, false
	rv2, err := s.SaveState(ctx, st, rv1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveState(ctx, st, rv1); !errors.Is(err, ErrConflict) {
		t.Errorf("SaveState(stale resourceVersion) = %v, want ErrConflict", err)
	}
	got, rv, err := s.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, got); diff != "" || rv != rv2 {
		t.Errorf("State() = rv %q, want %q; (-want +got):\n%s", rv, rv2, diff)
	}
	cm, err := client.CoreV1().ConfigMaps(ns).Get(ctx, StateName("shop", "prod"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ownerLabels("shop", "prod"), cm.Labels); diff != "" {
		t.Errorf("state labels (-want +got):\n%s", diff)
	}

	for range 2 {
		if err := s.ClearState(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if st, _, err := s.State(ctx); st != nil || err != nil {
		t.Errorf("State() after ClearState = %v, %v; want nil", st, err)
	}
	if _, err := s.SaveState(ctx, st, rv2); !errors.Is(err, ErrConflict) {
		t.Errorf("SaveState(rv of a cleared state) = %v, want ErrConflict", err)
	}
}
