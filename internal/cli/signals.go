package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

type hardStopKey struct{}

// WithSignals returns a context cancelled by the first SIGINT/SIGTERM, which
// starts an orderly undo, and a hard-stop context cancelled by the second,
// which abandons even the undo. Commands reach the hard stop through
// HardStop(ctx).
func WithSignals(parent context.Context) (context.Context, func()) {
	soft, cancelSoft := context.WithCancel(parent)
	hard, cancelHard := context.WithCancel(context.WithoutCancel(parent))
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		n := 0
		for range ch {
			n++
			if n == 1 {
				cancelSoft()
				continue
			}
			cancelHard()
		}
	}()
	stop := func() {
		signal.Stop(ch)
		cancelSoft()
		cancelHard()
	}
	return context.WithValue(soft, hardStopKey{}, hard), stop
}

// HardStop returns the context a second signal cancels; a context that is
// never cancelled when ctx does not carry one.
func HardStop(ctx context.Context) context.Context {
	if h, ok := ctx.Value(hardStopKey{}).(context.Context); ok {
		return h
	}
	return context.WithoutCancel(ctx)
}
