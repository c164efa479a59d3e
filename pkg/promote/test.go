package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/hooks"
)

// TestResult is what Test did.
type TestResult struct {
	// Release is the release tested: the environment's newest successful
	// one.
	Release *release.Record
	// Runs are the test hooks run, in order; the failed one last.
	Runs []release.HookRun
}

// Test runs the Helm `test` hooks of the environment's current release, as
// `helm test` does: in hook-weight order, each waited for with the
// deploy's thresholds, stopping at the first failure (exit 4). An
// environment without a successful release is exit 6; a release without
// test hooks passes. r needs Pipeline, Env, Namespace, Clients and Health.
func Test(ctx context.Context, r Request) (*TestResult, error) {
	r.defaults()
	store := release.NewStore(r.Clients.Typed, r.Namespace, r.Pipeline, r.Env.Name)
	rec, err := store.Latest(ctx, release.Succeeded)
	if err != nil {
		return &TestResult{}, exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history: %w", err))
	}
	if rec == nil {
		return &TestResult{}, exitcode.With(exitcode.Blocked, fmt.Errorf("%s has no successful release to test (see `kubectl promote history %s`)", r.Env.Name, r.Env.Name))
	}
	out := &TestResult{Release: rec, Runs: []release.HookRun{}}
	hs, err := RecordHooks(rec)
	if err != nil {
		return out, exitcode.With(exitcode.BadInput, err)
	}
	if len(hooks.For(hs, hooks.Test)) == 0 {
		r.emitf("test", "revision %d has no test hooks", rec.Revision)
		return out, nil
	}
	r.emitf("test", "testing revision %d of %s", rec.Revision, r.Env.Name)
	out.Runs, err = HookRunner(r).Run(ctx, hooks.Test, hs)
	var failed *hooks.Failed
	switch {
	case errors.As(err, &failed):
		return out, exitcode.With(exitcode.RolledBack, fmt.Errorf("revision %d: %w", rec.Revision, err))
	case err != nil:
		return out, err
	}
	r.emitf("test", "revision %d passed %d test hook(s)", rec.Revision, len(out.Runs))
	return out, nil
}
