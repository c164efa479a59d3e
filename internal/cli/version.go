package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/internal/version"
)

// VersionOptions prints the version.
type VersionOptions struct {
	*GlobalOptions
}

// NewCmdVersion returns `version`.
func NewCmdVersion(g *GlobalOptions) *cobra.Command {
	o := &VersionOptions{GlobalOptions: g}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE:  runE(o),
	}
}

// Complete has nothing to resolve.
func (o *VersionOptions) Complete(_ []string) error { return nil }

// Validate has nothing to check.
func (o *VersionOptions) Validate() error { return nil }

// Run prints the version to stdout.
func (o *VersionOptions) Run(_ context.Context) error {
	_, err := fmt.Fprintf(o.Out, "kubectl-promote %s\n", version.Version)
	return err
}
