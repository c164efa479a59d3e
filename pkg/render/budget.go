package render

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// DefaultTimeout is the render time budget when neither the source's
// renderTimeout nor Options.Timeout sets one.
const DefaultTimeout = 2 * time.Minute

// errBudget is the cause of a render stopped by its time budget.
var errBudget = errors.New("render time budget spent")

// budgeted runs a renderer within a time budget and returns as soon as its
// context ends. Neither Helm's template engine nor kustomize can be
// interrupted, so the render runs in a goroutine that is abandoned when the
// context ends: the caller gets its answer at once, the process exits
// without waiting for it.
type budgeted struct {
	Renderer
	env     string
	timeout time.Duration
}

type outcome struct {
	res *Result
	err error
}

// Render renders within the budget.
func (b *budgeted) Render(ctx context.Context, opts Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, b.stopped(ctx, 0, 0)
	}
	timeout := b.timeout
	if opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errBudget)
	defer cancel()
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	limit := memoryLimit(opts)
	go guardMemory(ctx, stop, limit)
	done := make(chan outcome, 1)
	go func() {
		res, err := b.Renderer.Render(ctx, opts)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		if o.err != nil && ctx.Err() != nil {
			return nil, b.stopped(ctx, timeout, limit)
		}
		return o.res, o.err
	case <-ctx.Done():
		return nil, b.stopped(ctx, timeout, limit)
	}
}

// stopped explains why ctx ended: the budget or the memory limit is bad
// input (exit 2), a cancellation from outside (a signal) or a caller's
// deadline is exit 3.
func (b *budgeted) stopped(ctx context.Context, timeout time.Duration, limit uint64) error {
	if errors.Is(context.Cause(ctx), errMemory) {
		return exitcode.With(exitcode.BadInput, memoryError(b.env, limit))
	}
	if errors.Is(context.Cause(ctx), errBudget) {
		return exitcode.With(exitcode.BadInput, fmt.Errorf(
			"render of environment %s took longer than %s and was stopped (an endless template or an unreachable remote base?); "+
				"set source.renderTimeout in the pipeline file if it needs longer", b.env, timeout))
	}
	// Marked, so that callers that make unmarked render errors bad input
	// leave it alone.
	return exitcode.With(exitcode.Unclassified, fmt.Errorf("render of environment %s stopped: %w", b.env, ctx.Err()))
}
