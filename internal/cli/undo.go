package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// UndoOptions are the options of `undo ENV`.
type UndoOptions struct {
	*GlobalOptions
	DeployFlags
	ToRevision int

	target promote.Target
}

// NewCmdUndo returns `undo ENV [--to-revision N]`.
func NewCmdUndo(g *GlobalOptions) *cobra.Command {
	o := &UndoOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "undo ENV",
		Short: "Re-apply an earlier release whole (every object, not only the pod template)",
		Long: "Re-apply an earlier release record whole as a new revision: its ConfigMaps, Services, replicas\n" +
			"and everything else, pruning what later releases added. Without --to-revision it goes back to\n" +
			"the newest successful release before the current one.",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
	o.DeployFlags.add(cmd)
	cmd.Flags().IntVar(&o.ToRevision, "to-revision", 0, "the revision to go back to (default: the previous successful one)")
	return cmd
}

// Complete resolves ENV to its pipeline, placement and cluster.
func (o *UndoOptions) Complete(args []string) error {
	var err error
	o.target, err = o.Target(args[0])
	return err
}

// Validate checks the flags.
func (o *UndoOptions) Validate() error {
	if o.ToRevision < 0 {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--to-revision must be positive"))
	}
	return checkOutput(o.Output, OutputText, "jsonl", OutputJSON)
}

// Run re-applies the chosen record through promote.Undo.
func (o *UndoOptions) Run(ctx context.Context) error {
	undo := func(ctx context.Context, req promote.Request) (*promote.Result, error) {
		res, err := promote.Undo(ctx, promote.UndoRequest{Request: req, ToRevision: o.ToRevision})
		return res.Deploy, err
	}
	return runDeploy(ctx, o.GlobalOptions, o.DeployFlags.request(o.target), undo)
}
