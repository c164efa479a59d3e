package localcluster_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

func TestMain(m *testing.M) { localcluster.Main(m) }

// wait bounds every wait in these tests: $LOCALCLUSTER_TEST_WAIT, else 60s.
// Things normally happen within seconds; the margin is for a loaded machine.
func wait() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("LOCALCLUSTER_TEST_WAIT")); err == nil && d > 0 {
		return d
	}
	return 60 * time.Second
}

// eventually polls cond every 200ms until it holds, failing the test after
// wait() with the last error or state cond reported.
func eventually(t *testing.T, what string, cond func(ctx context.Context) (bool, string, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait())
	defer cancel()
	var last string
	for {
		ok, state, err := cond(ctx)
		if ok {
			return
		}
		if err != nil {
			state = err.Error()
		}
		last = state
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", wait(), what, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
