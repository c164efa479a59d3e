package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// CompletionOptions prints a shell completion script.
type CompletionOptions struct {
	g *GlobalOptions
	// Shell is bash, zsh, fish or powershell.
	Shell string
	root  *cobra.Command
}

// Shells are the shells `completion` writes scripts for.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// NewCmdCompletion returns `completion SHELL`.
func NewCmdCompletion(g *GlobalOptions) *cobra.Command {
	o := &CompletionOptions{g: g}
	return &cobra.Command{
		Use:   "completion SHELL",
		Short: "Print a shell completion script (bash, zsh, fish, powershell)",
		Long: "Print a completion script for kubectl-promote run directly, e.g.\n" +
			"  source <(kubectl-promote completion bash)\n\n" +
			"For `kubectl promote <TAB>`, kubectl (1.26+) runs the executable kubectl_complete-promote from your\n" +
			"PATH; copy the one at the root of the repository next to kubectl-promote. Environment names are\n" +
			"completed from promote.yaml in both cases.",
		ValidArgs: Shells,
		Args:      badArgs(cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
}

// Complete takes the shell and the command tree to describe.
func (o *CompletionOptions) Complete(cmd *cobra.Command, args []string) error {
	o.Shell, o.root = args[0], cmd.Root()
	return nil
}

// Validate has nothing left to check: Args allowed only known shells.
func (o *CompletionOptions) Validate() error { return nil }

// Run writes the script to stdout.
func (o *CompletionOptions) Run(_ context.Context) error {
	switch o.Shell {
	case "zsh":
		return o.root.GenZshCompletion(o.g.Out)
	case "fish":
		return o.root.GenFishCompletion(o.g.Out, true)
	case "powershell":
		return o.root.GenPowerShellCompletionWithDesc(o.g.Out)
	}
	return o.root.GenBashCompletionV2(o.g.Out, true)
}
