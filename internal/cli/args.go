package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// tagArgErrors makes the argument checks of cmd and every command under it
// report BadInput (exit 2), as the root's flag error function does for
// unknown and malformed flags: usage errors are tagged here and only here.
func tagArgErrors(cmd *cobra.Command) {
	if cmd.Args != nil {
		cmd.Args = badArgs(cmd.Args)
	}
	for _, sub := range cmd.Commands() {
		tagArgErrors(sub)
	}
}

// badArgs makes a cobra argument check's error BadInput (exit 2).
func badArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return exitcode.With(exitcode.BadInput, check(cmd, args))
	}
}

// badInput marks err as BadInput unless it already carries an exit code or
// is a cancellation or timeout, which is not the input's fault.
func badInput(err error) error {
	var coded *exitcode.Error
	if err == nil || errors.As(err, &coded) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return exitcode.With(exitcode.BadInput, err)
}
