package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// The signal sequence (README, "Signals and exit codes"):
//
//   - the first SIGINT or SIGTERM stops the run in order: a phase that
//     changed nothing stops at once, a rollout is undone with the undo's own
//     time budget;
//   - a SIGTERM that follows a SIGINT within CISequenceWindow is the same
//     request (CI systems cancel that way: GitHub Actions sends SIGINT, then
//     SIGTERM 7.5 s later), not a second one;
//   - any further signal, or SIGQUIT at any time, stops hard: even an undo
//     is abandoned, the release is recorded interrupted, and the process
//     exits within HardStopGrace even if something ignores the stop.
const (
	CISequenceWindow = 15 * time.Second
	HardStopGrace    = 15 * time.Second
)

// signalAction is what one signal does.
type signalAction int

const (
	ignore signalAction = iota
	softStop
	hardStop
)

// sequence follows the signals received so far.
type sequence struct {
	first    os.Signal
	firstAt  time.Time
	absorbed bool
}

// next returns what sig, received at now, does.
func (s *sequence) next(sig os.Signal, now time.Time) signalAction {
	switch {
	case sig == syscall.SIGQUIT:
		if s.first == nil {
			s.first, s.firstAt = sig, now
		}
		return hardStop
	case s.first == nil:
		s.first, s.firstAt = sig, now
		return softStop
	case s.first == os.Interrupt && sig == syscall.SIGTERM && !s.absorbed && now.Sub(s.firstAt) <= CISequenceWindow:
		s.absorbed = true
		return ignore
	}
	return hardStop
}

type signalsKey struct{}

// signals is what WithSignals keeps in the context.
type signals struct {
	hard context.Context
	mu   sync.Mutex
	seq  sequence
}

// WithSignals returns a context cancelled by the first SIGINT/SIGTERM and
// carrying the hard-stop context (HardStop) that a further signal or
// SIGQUIT cancels. After a hard stop, exit is called with the signal's
// exit code if the command has not returned within HardStopGrace. The
// returned func stops listening.
func WithSignals(parent context.Context, exit func(code int)) (context.Context, func()) {
	soft, cancelSoft := context.WithCancel(parent)
	hard, cancelHard := context.WithCancel(context.WithoutCancel(parent))
	s := &signals{hard: hard}
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	done := make(chan struct{})
	go func() {
		for {
			var sig os.Signal
			select {
			case <-done:
				return
			case sig = <-ch:
			}
			s.mu.Lock()
			action := s.seq.next(sig, time.Now())
			s.mu.Unlock()
			if action == ignore {
				continue
			}
			cancelSoft()
			if action == hardStop {
				cancelHard()
				go exitAfter(done, HardStopGrace, func() { exit(SignalExitCode(s.first())) })
			}
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancelSoft()
			cancelHard()
		})
	}
	return context.WithValue(soft, signalsKey{}, s), stop
}

func (s *signals) first() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq.first
}

// exitAfter calls exit after d, unless done closes first.
func exitAfter(done <-chan struct{}, d time.Duration, exit func()) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		exit()
	}
}

// HardStop returns the context a further signal cancels; a context that is
// never cancelled when ctx does not carry one.
func HardStop(ctx context.Context) context.Context {
	if s, ok := ctx.Value(signalsKey{}).(*signals); ok {
		return s.hard
	}
	return context.WithoutCancel(ctx)
}

// Signalled returns the first stopping signal the process received, nil
// if none.
func Signalled(ctx context.Context) os.Signal {
	if s, ok := ctx.Value(signalsKey{}).(*signals); ok {
		return s.first()
	}
	return nil
}

// SignalExitCode is the exit code after sig, 128 plus its number (130 for
// SIGINT, 143 for SIGTERM); 0 for nil.
func SignalExitCode(sig os.Signal) int {
	if n, ok := sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 0
}

// ExitCode is the exit code of a command that ended with err after the
// signal sig (nil for none): its documented code (package exitcode), except
// that a run stopped by a signal exits 128+signal unless its code says more
// than "stopped": 2 bad input, 4 rolled back, 5 undo failed, 6 blocked. A
// command that succeeded exits 0.
func ExitCode(err error, sig os.Signal) int {
	code := exitcode.Code(err)
	if err == nil || sig == nil {
		return code
	}
	switch code {
	case exitcode.RolledBack, exitcode.UndoFailed, exitcode.Blocked:
		return code
	case exitcode.BadInput:
		// A render stopped by the signal is not bad input.
		if !errors.Is(err, context.Canceled) {
			return code
		}
	}
	return SignalExitCode(sig)
}
