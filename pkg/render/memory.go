package render

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"time"
)

// DefaultMemoryLimit is the Go heap a render may grow the process to
// before it is stopped (exit 2): far above what real renders use (a
// 1,000-object chart peaks near 100 MiB) and far below what takes a
// machine down.
const DefaultMemoryLimit = 4 << 30

// MemoryLimitEnv, in MiB, replaces DefaultMemoryLimit.
const MemoryLimitEnv = "KUBECTL_PROMOTE_RENDER_MEMORY_MIB"

// memoryPoll is how often the heap is read while a render runs.
const memoryPoll = 10 * time.Millisecond

// errMemory is the cause of a render stopped by its memory limit.
var errMemory = errors.New("render memory limit reached")

// memoryLimit is the limit in force: Options.MemoryLimit, else the
// environment's, else the default.
func memoryLimit(opts Options) uint64 {
	if opts.MemoryLimit > 0 {
		return opts.MemoryLimit
	}
	if mib, err := strconv.ParseUint(os.Getenv(MemoryLimitEnv), 10, 64); err == nil && mib > 0 {
		return mib << 20
	}
	return DefaultMemoryLimit
}

// guardMemory cancels ctx with errMemory once the Go heap passes limit; it
// returns when ctx ends. Neither Helm's engine nor kustomize can be
// interrupted, and a template can allocate without bound (`until` a
// billion): the render is abandoned, and the process exits, before the
// machine runs out.
func guardMemory(ctx context.Context, cancel context.CancelCauseFunc, limit uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(memoryPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > limit {
			cancel(errMemory)
			return
		}
	}
}

// memoryError explains a render stopped by its memory limit.
func memoryError(env string, limit uint64) error {
	return fmt.Errorf("render of environment %s used more than %d MiB of memory and was stopped (an endless template, "+
		"a huge range?); set %s (MiB) if it really needs more", env, limit>>20, MemoryLimitEnv)
}
