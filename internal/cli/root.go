// Package cli holds the cobra commands: flag parsing, option completion and
// printing. Business logic lives in pkg/…; each command's RunE calls exactly
// Complete, Validate and Run on its options.
package cli

import (
	"errors"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// GlobalOptions are the flags every command shares.
type GlobalOptions struct {
	ConfigFlags *genericclioptions.ConfigFlags
	// File is -f/--file: the pipeline file; empty means search upwards.
	File string
	// Output is -o/--output: text, json, yaml (jsonl for apply/promote).
	Output string
	// Color is --color: auto, always or never.
	Color string
	// Yes is --yes: never prompt.
	Yes bool
	genericiooptions.IOStreams
}

// NewRootCommand returns `kubectl promote` with every subcommand.
func NewRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	g := &GlobalOptions{
		ConfigFlags: genericclioptions.NewConfigFlags(true),
		IOStreams:   streams,
	}
	cmd := &cobra.Command{
		Use:           "kubectl-promote",
		Short:         "Promote releases through environments: render, diff, apply, watch, undo",
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl promote"},
	}
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return exitcode.With(exitcode.BadInput, err)
	})
	flags := cmd.PersistentFlags()
	g.ConfigFlags.AddFlags(flags)
	flags.StringVarP(&g.File, "file", "f", "", "pipeline file (default: promote.yaml in this directory or a parent)")
	flags.StringVarP(&g.Output, "output", "o", "text", "output format: text, json or yaml")
	flags.StringVar(&g.Color, "color", "auto", "colour: auto, always or never (NO_COLOR is respected)")
	flags.BoolVar(&g.Yes, "yes", false, "never prompt (implied when stdin is not a terminal)")
	for _, sub := range subcommands(g) {
		cmd.AddCommand(sub)
	}
	return cmd
}

// subcommands lists every subcommand; each lives in its own file.
func subcommands(g *GlobalOptions) []*cobra.Command {
	return []*cobra.Command{
		newVersionCommand(g),
	}
}

// reportedError marks an error whose message was already printed.
type reportedError struct{ error }

func (e reportedError) Unwrap() error { return e.error }

// Reported marks err as already printed to the user.
func Reported(err error) error {
	if err == nil {
		return nil
	}
	return reportedError{err}
}

// IsReported tells main not to print err again.
func IsReported(err error) bool {
	var r reportedError
	return errors.As(err, &r)
}
