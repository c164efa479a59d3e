package cli

import (
	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// badArgs makes a cobra argument check's error BadInput (exit 2), like a
// flag error.
func badArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return exitcode.With(exitcode.BadInput, check(cmd, args))
	}
}

// badInput marks err as BadInput unless it already carries an exit code.
func badInput(err error) error {
	if err == nil || exitcode.Has(err) {
		return err
	}
	return exitcode.With(exitcode.BadInput, err)
}
