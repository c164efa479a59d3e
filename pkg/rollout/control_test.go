package rollout

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func TestMergeRequest(t *testing.T) {
	t1, t2 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2030, 1, 2, 3, 4, 6, 0, time.UTC)
	abort := &release.Request{Kind: RequestAbort, By: "bob", At: t2}
	tests := []struct {
		name    string
		handled time.Time
		mine    *release.Request
		live    *release.State
		want    *release.Request
	}{
		{"a new request is kept", time.Time{}, nil, &release.State{Request: abort}, abort},
		{"a request already acted on is not brought back", t2, nil, &release.State{Request: abort}, nil},
		{"a newer request replaces one handled", t1, &release.Request{Kind: RequestResume, At: t1}, &release.State{Request: abort}, abort},
		{"no request", time.Time{}, nil, &release.State{}, nil},
		{"no state", time.Time{}, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &tracker{handled: tc.handled, st: release.State{Request: tc.mine}}
			tr.mergeRequest(tc.live)
			if diff := cmp.Diff(tc.want, tr.st.Request); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
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
