package rollout

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func TestMergeRequest(t *testing.T) {
	abort := &release.State{Extra: map[string]string{ExtraRequest: RequestAbort, ExtraRequestedBy: "bob", ExtraRequestedAt: "t2"}}
	tests := []struct {
		name    string
		handled string
		mine    map[string]string
		live    *release.State
		want    map[string]string
	}{
		{"a new request is kept", "", map[string]string{"x": "1"}, abort,
			map[string]string{"x": "1", ExtraRequest: RequestAbort, ExtraRequestedBy: "bob", ExtraRequestedAt: "t2"}},
		{"a request already acted on is not brought back", "t2", map[string]string{"x": "1"}, abort, map[string]string{"x": "1"}},
		{"no request", "", map[string]string{"x": "1"}, &release.State{}, map[string]string{"x": "1"}},
		{"no state", "", nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &tracker{handled: tc.handled, st: release.State{Extra: tc.mine}}
			tr.mergeRequest(tc.live)
			if diff := cmp.Diff(tc.want, tr.st.Extra); diff != "" {
				t.Errorf("extra (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStepErr(t *testing.T) {
	other := errors.New("boom")
	ctx, cancel := context.WithCancelCause(context.Background())
	if got := stepErr(ctx, other); got != other {
		t.Errorf("before an abort: %v", got)
	}
	cancel(&AbortedError{By: "bob@ci"})
	got := stepErr(ctx, context.Canceled)
	var a *AbortedError
	if !errors.As(got, &a) || a.By != "bob@ci" {
		t.Fatalf("after an abort: %v", got)
	}
	if got.Error() != "aborted by bob@ci (kubectl promote abort)" {
		t.Errorf("message %q", got.Error())
	}
}
