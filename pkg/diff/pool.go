package diff

import (
	"context"
	"sync"
	"sync/atomic"
)

// forEach calls fn(i) for every i below count on at most n goroutines and
// returns the errors, grouped. After a fatal error (see isFatal) it starts
// no new calls and returns that error alone; after the caller's context
// ends it returns the context's error.
func forEach(ctx context.Context, n, count int, fn func(ctx context.Context, i int) error) error {
	return pool(ctx, n, count, false, fn)
}

// forEachUntilError is forEach for writes: after any error it starts no
// new call, since every further write would change the cluster after a
// failure. Calls in flight finish, and their errors are returned too.
func forEachUntilError(ctx context.Context, n, count int, fn func(ctx context.Context, i int) error) error {
	return pool(ctx, n, count, true, fn)
}

func pool(ctx context.Context, n, count int, stopOnError bool, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errs := make([]error, count)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(n, count) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= count || ctx.Err() != nil || stopOnError && failed.Load() {
					return
				}
				if err := fn(ctx, i); err != nil {
					errs[i] = err
					failed.Store(true)
					if isFatal(err) {
						cancel(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return join(out)
}
