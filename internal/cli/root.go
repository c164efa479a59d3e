// Package cli holds the cobra commands: flag parsing, option completion and
// printing. Business logic lives in pkg/…; each command's RunE calls exactly
// Complete, Validate and Run on its options.
package cli

import (
	"errors"
	"sync"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
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
	// Verbosity is -v: the Kubernetes client's log level (logging.go).
	Verbosity int
	genericiooptions.IOStreams

	// helmNamespace is HELM_NAMESPACE in Helm-plugin mode.
	helmNamespace string
	pipeline      *pipeline.Pipeline
	mu            sync.Mutex
	clients       map[string]*kube.Clients
}

// NewRootCommand returns `kubectl promote` with every subcommand.
func NewRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return newRootCommand(NewGlobalOptions(streams))
}

// NewGlobalOptions returns the shared options with kubectl's flags, Helm's
// plugin environment applied.
func NewGlobalOptions(streams genericiooptions.IOStreams) *GlobalOptions {
	g := &GlobalOptions{
		ConfigFlags: genericclioptions.NewConfigFlags(true),
		IOStreams:   streams,
		Output:      OutputText,
		Color:       "auto",
		clients:     map[string]*kube.Clients{},
	}
	g.applyHelmEnv()
	return g
}

// newRootCommand builds the command tree on g, which tests keep.
func newRootCommand(g *GlobalOptions) *cobra.Command {
	streams := g.IOStreams
	cmd := &cobra.Command{
		Use:           "kubectl-promote",
		Short:         "Promote releases through environments: render, diff, apply, watch, undo",
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl promote"},
		// Subcommands must not set their own PersistentPreRunE: cobra runs
		// only the nearest one, and this one checks the shared flags.
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if err := g.Validate(); err != nil {
				return err
			}
			return setupLogging(g.ErrOut, g.Verbosity)
		},
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
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
	flags.StringVarP(&g.Output, "output", "o", g.Output, "output format: text, json or yaml")
	flags.StringVar(&g.Color, "color", g.Color, "colour: auto, always or never (NO_COLOR is respected)")
	flags.BoolVar(&g.Yes, "yes", false, "never prompt (implied when stdin is not a terminal)")
	flags.IntVarP(&g.Verbosity, "v", "v", 0, "Kubernetes client log level (8 and up: requests and responses); Secret values and bodies stay hidden")
	for _, sub := range subcommands(g) {
		cmd.AddCommand(sub)
	}
	addPromote(cmd, g)
	tagArgErrors(cmd)
	return cmd
}

// subcommands lists every subcommand; each lives in its own file. Add one
// line here per new command.
func subcommands(g *GlobalOptions) []*cobra.Command {
	return []*cobra.Command{
		NewCmdInit(g),
		NewCmdEnvs(g),
		NewCmdDiff(g),
		NewCmdApply(g),
		NewCmdStatus(g),
		NewCmdHistory(g),
		NewCmdUndo(g),
		NewCmdTest(g),
		NewCmdResume(g),
		NewCmdAbort(g),
		NewCmdUnlock(g),
		NewCmdHelmImport(g),
		NewCmdRender(g),
		NewCmdDashboard(g),
		NewCmdGuard(g),
		NewCmdCompletion(g),
		NewCmdVersion(g),
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
