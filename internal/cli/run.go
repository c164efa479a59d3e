package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// runner is a command's options in the Complete / Validate / Run shape.
type runner interface {
	Complete(args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// runE returns a RunE that calls exactly Complete, Validate and Run.
func runE(o runner) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
}
