package cli

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/notify"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// openNotify starts the notifications of the environment req deploys and
// sets req.Notify. The returned flush waits for what is still being
// delivered, at most notify.flushTimeout and never past a further signal.
// A dry run notifies no one.
func (g *GlobalOptions) openNotify(ctx context.Context, req *promote.Request) (flush func()) {
	p, err := g.LoadPipeline()
	if err != nil || req.DryRun {
		return func() {}
	}
	n := p.Notify(req.Env)
	if len(n.Webhooks) == 0 {
		return func() {}
	}
	src := notify.Sources{Secrets: notify.ClusterSecrets(req.Clients.Typed), Getenv: os.Getenv, Namespace: req.Namespace}
	s := notify.Open(ctx, n, src, notify.Options{Warn: g.warnNotify(), Redact: diff.Known().String})
	req.Notify = s
	return func() {
		fctx, cancel := context.WithTimeout(HardStop(ctx), n.FlushTimeout.D())
		defer cancel()
		s.Flush(fctx)
	}
}

// warnNotify prints a notification's warning on stderr, masked like every
// other line: a notification that fails never fails the release.
func (g *GlobalOptions) warnNotify() func(string) {
	var mu sync.Mutex
	return func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(g.ErrOut, "warning: %s\n", diff.Known().String(line))
	}
}

// flushAll runs the flushes at once, so that a chain waits for its slowest
// webhook only, not for the sum of them.
func flushAll(flushes []func()) {
	var wg sync.WaitGroup
	for _, f := range flushes {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	wg.Wait()
}
