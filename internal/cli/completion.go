package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// CompletionOptions prints a shell completion script.
type CompletionOptions struct {
	*GlobalOptions
	// Shell is bash, zsh, fish or powershell.
	Shell string
	// cmd is this command; its root is the tree described.
	cmd *cobra.Command
}

// Shells are the shells `completion` writes scripts for.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// NewCmdCompletion returns `completion SHELL`.
func NewCmdCompletion(g *GlobalOptions) *cobra.Command {
	o := &CompletionOptions{GlobalOptions: g}
	o.cmd = &cobra.Command{
		Use:   "completion SHELL",
		Short: "Print a shell completion script (bash, zsh, fish, powershell)",
		Long: "Print a completion script for kubectl-promote run directly, e.g.\n" +
			"  source <(kubectl-promote completion bash)\n\n" +
			"For `kubectl promote <TAB>`, kubectl (1.26+) runs the executable kubectl_complete-promote from your\n" +
			"PATH; copy the one at the root of the repository next to kubectl-promote. Environment names are\n" +
			"completed from promote.yaml in both cases.",
		ValidArgs: Shells,
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE:      runE(o),
	}
	return o.cmd
}

// Complete takes the shell.
func (o *CompletionOptions) Complete(args []string) error {
	o.Shell = args[0]
	return nil
}

// Validate has nothing left to check: Args allowed only known shells.
func (o *CompletionOptions) Validate() error { return nil }

// Run writes the script of the whole command tree to stdout.
func (o *CompletionOptions) Run(_ context.Context) error {
	root := o.cmd.Root()
	switch o.Shell {
	case "zsh":
		return root.GenZshCompletion(o.Out)
	case "fish":
		return root.GenFishCompletion(o.Out, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(o.Out)
	}
	return root.GenBashCompletionV2(o.Out, true)
}
