package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// TestOptions run the Helm test hooks of an environment's current release.
type TestOptions struct {
	*GlobalOptions
	// Timeout, when set, replaces health.timeout as each hook's budget.
	Timeout time.Duration

	target promote.Target
}

// NewCmdTest returns `test ENV`.
func NewCmdTest(g *GlobalOptions) *cobra.Command {
	o := &TestOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "test ENV",
		Short: "Run the Helm chart's test hooks against the environment's current release",
		Long: "Run the `helm.sh/hook: test` objects of ENV's newest successful release, as `helm test` does:\n" +
			"in hook-weight order, each Job watched with the deploy's fail-fast rules and each Pod until it\n" +
			"succeeds, deleted by its hook-delete-policy. Exit 0 when every test passed, 4 when one failed\n" +
			"(naming its pod and reason), 6 when ENV has no successful release.",
		Example:           "  kubectl promote test staging\n  kubectl promote test prod --timeout 2m",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 0, "how long each test hook may take (default: the environment's health.timeout)")
	return cmd
}

// Complete resolves ENV to its pipeline, placement and cluster.
func (o *TestOptions) Complete(args []string) error {
	var err error
	o.target, err = o.Target(args[0])
	return err
}

// Validate checks the output format.
func (o *TestOptions) Validate() error {
	return checkOutput(o.Output, OutputText, OutputJSON, OutputYAML)
}

// Run runs the test hooks and prints each one's outcome.
func (o *TestOptions) Run(ctx context.Context) error {
	req := (&DeployFlags{Timeout: o.Timeout, Verify: -1}).request(o.target)
	req.Events = redactEvents(func(e promote.Event) { fmt.Fprintf(o.ErrOut, "%s: %s\n", e.Phase, e.Message) })
	res, err := promote.Test(ctx, req)
	switch {
	case res.Release == nil:
		return err
	case o.Output != OutputText:
		if perr := printStructured(o.Out, res.Runs, o.Output); perr != nil {
			return perr
		}
	case len(res.Runs) > 0:
		if perr := printTable(o.Out, []string{"HOOK", "OUTCOME", "TOOK", "REASON"}, testRows(res.Runs)); perr != nil {
			return perr
		}
	}
	return err
}

func testRows(runs []release.HookRun) [][]string {
	rows := make([][]string, len(runs))
	for i, r := range runs {
		rows[i] = []string{r.Hook, r.Outcome, r.Finished.Sub(r.Started).Round(100 * time.Millisecond).String(), r.Reason}
	}
	return rows
}
