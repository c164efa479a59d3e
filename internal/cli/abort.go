package cli

import (
	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// NewCmdAbort returns `abort ENV`.
func NewCmdAbort(g *GlobalOptions) *cobra.Command {
	return newControlCommand(g, promote.Abort, "abort ENV",
		"Abort a canary or blue-green rollout: all traffic back to the stable side, the release undone",
		"Send all traffic of ENV back to the stable side (canary weight 0, or the active Service flipped back)\n"+
			"and undo the release in progress. The process driving the rollout, on this machine or another, does it;\n"+
			"if that process is gone (its lock expired), abort takes the lock and does it itself. Exit 0 once the\n"+
			"previous release runs again, 5 if the undo failed.")
}
