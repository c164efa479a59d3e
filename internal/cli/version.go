package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/internal/version"
)

func newVersionCommand(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(g.Out, "kubectl-promote %s\n", version.Version)
			return err
		},
	}
}
