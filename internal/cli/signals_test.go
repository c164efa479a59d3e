package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

func TestSignalSequence(t *testing.T) {
	at := func(s float64) time.Time {
		return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s * float64(time.Second)))
	}
	type sig struct {
		s  os.Signal
		at time.Time
	}
	tests := []struct {
		name string
		sigs []sig
		want []signalAction
	}{
		{"one SIGINT", []sig{{os.Interrupt, at(0)}}, []signalAction{softStop}},
		{"one SIGTERM", []sig{{syscall.SIGTERM, at(0)}}, []signalAction{softStop}},
		{"GitHub Actions cancel: SIGINT, SIGTERM 7.5s later", []sig{{os.Interrupt, at(0)}, {syscall.SIGTERM, at(7.5)}}, []signalAction{softStop, ignore}},
		{"then a third signal", []sig{{os.Interrupt, at(0)}, {syscall.SIGTERM, at(7.5)}, {syscall.SIGTERM, at(8)}}, []signalAction{softStop, ignore, hardStop}},
		{"Ctrl-C twice", []sig{{os.Interrupt, at(0)}, {os.Interrupt, at(1)}}, []signalAction{softStop, hardStop}},
		{"SIGTERM twice", []sig{{syscall.SIGTERM, at(0)}, {syscall.SIGTERM, at(1)}}, []signalAction{softStop, hardStop}},
		{"SIGTERM long after SIGINT", []sig{{os.Interrupt, at(0)}, {syscall.SIGTERM, at(60)}}, []signalAction{softStop, hardStop}},
		{"SIGQUIT first", []sig{{syscall.SIGQUIT, at(0)}}, []signalAction{hardStop}},
		{"SIGQUIT after SIGINT", []sig{{os.Interrupt, at(0)}, {syscall.SIGQUIT, at(1)}}, []signalAction{softStop, hardStop}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seq sequence
			var got []signalAction
			for _, s := range tt.sigs {
				got = append(got, seq.next(s.s, s.at))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if seq.first != tt.sigs[0].s {
				t.Errorf("first signal %v, want %v", seq.first, tt.sigs[0].s)
			}
		})
	}
}

func TestExitCodeAfterSignal(t *testing.T) {
	canceled := fmt.Errorf("dry-run: nothing was changed: %w", context.Canceled)
	tests := []struct {
		name string
		err  error
		sig  os.Signal
		want int
	}{
		{"success, no signal", nil, nil, 0},
		{"success after a signal (already healthy)", nil, os.Interrupt, 0},
		{"cluster error, no signal", exitcode.With(exitcode.Cluster, errors.New("x")), nil, 3},
		{"stopped before any change by SIGINT", canceled, os.Interrupt, 130},
		{"stopped before any change by SIGTERM", exitcode.With(exitcode.Cluster, canceled), syscall.SIGTERM, 143},
		{"render stopped by the signal", exitcode.With(exitcode.BadInput, canceled), syscall.SIGTERM, 143},
		{"bad input stays bad input", exitcode.With(exitcode.BadInput, errors.New("promote.yaml:3: x")), os.Interrupt, 2},
		{"undone after the signal", exitcode.With(exitcode.RolledBack, canceled), syscall.SIGTERM, 4},
		{"undo stopped hard", exitcode.With(exitcode.UndoFailed, canceled), syscall.SIGQUIT, 5},
		{"lock lost", exitcode.With(exitcode.Blocked, errors.New("lost")), os.Interrupt, 6},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err, tt.sig); got != tt.want {
			t.Errorf("%s: ExitCode() = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestWithSignals sends this process the CI cancel sequence, then a third
// signal: the first stops softly, the second changes nothing, the third
// stops hard.
func TestWithSignals(t *testing.T) {
	exited := make(chan int, 1)
	ctx, stop := WithSignals(t.Context(), func(code int) { exited <- code })
	defer stop()
	hard := HardStop(ctx)
	send := func(s syscall.Signal) {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), s); err != nil {
			t.Fatal(err)
		}
	}
	send(syscall.SIGINT)
	<-ctx.Done()
	send(syscall.SIGTERM)
	select {
	case <-hard.Done():
		t.Fatal("the CI sequence's SIGTERM stopped hard")
	case <-time.After(300 * time.Millisecond):
	}
	send(syscall.SIGTERM)
	<-hard.Done()
	if got := Signalled(ctx); got != os.Interrupt {
		t.Errorf("Signalled() = %v, want SIGINT", got)
	}
	stop()
	select {
	case code := <-exited:
		t.Errorf("exit(%d) called although the command returned", code)
	case <-time.After(50 * time.Millisecond):
	}
}
