package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// ControlOptions are the options of `resume ENV` and `abort ENV`.
type ControlOptions struct {
	*GlobalOptions
	Action promote.Action
	// Wait bounds how long the process driving the rollout has to act.
	Wait          time.Duration
	LeaseDuration time.Duration
	Timeout       time.Duration
	Verify        time.Duration

	target promote.Target
}

// NewCmdResume returns `resume ENV`.
func NewCmdResume(g *GlobalOptions) *cobra.Command {
	return newControlCommand(g, promote.Resume, "resume ENV",
		"Continue a paused canary or blue-green rollout",
		"End the current pause of ENV's canary (a `pause: {}` step, or a timed one early) or let a blue-green\n"+
			"rollout with autoPromote: false switch. The process driving the rollout, on this machine or another,\n"+
			"acts on the request. If that process is gone (its lock expired), resume takes the lock and finishes\n"+
			"the rollout itself from the step the cluster recorded, watching and undoing like apply (exit 0/4/5).")
}

func newControlCommand(g *GlobalOptions, action promote.Action, use, short, long string) *cobra.Command {
	o := &ControlOptions{GlobalOptions: g, Action: action}
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
	fl := cmd.Flags()
	fl.DurationVar(&o.Wait, "wait", 30*time.Second, "how long the process driving the rollout has to act on the request")
	fl.DurationVar(&o.LeaseDuration, "lock-lease", 30*time.Second, "lease duration of the lock, when this command takes the rollout over")
	fl.DurationVar(&o.Timeout, "timeout", 0, "rollout timeout when taking over (default: the environment's health.timeout)")
	fl.DurationVar(&o.Verify, "verify", -1, "verify window when taking over (default: health.verify)")
	return cmd
}

// Complete resolves ENV to its pipeline, placement and cluster.
func (o *ControlOptions) Complete(args []string) error {
	var err error
	o.target, err = o.Target(args[0])
	return err
}

// Validate checks the flags.
func (o *ControlOptions) Validate() error {
	if o.Wait <= 0 {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--wait must be positive"))
	}
	return checkOutput(o.Output, OutputText, "jsonl")
}

// Run asks the driving process, or takes the rollout over, and reports.
func (o *ControlOptions) Run(ctx context.Context) error {
	deploy := DeployFlags{LeaseDuration: o.LeaseDuration, Timeout: o.Timeout, Verify: o.Verify}
	req := deploy.request(o.target)
	pr := newProgressFor(o.GlobalOptions, req.Env.Name)
	defer o.openNotify(ctx, &req)()
	res, err := promote.Control(ctx, promote.ControlRequest{
		Pipeline: req.Pipeline, Env: req.Env, Namespace: req.Namespace, Clients: req.Clients, Action: o.Action,
		Health: req.Health, Holder: release.DefaultHolder(), Lock: req.Lock, Wait: o.Wait,
		HardStop: HardStop(ctx), Events: pr.event, Notify: req.Notify,
	})
	o.report(res, err)
	return Reported(err)
}

// report prints the closing line on stderr.
func (o *ControlOptions) report(res *promote.ControlResult, err error) {
	env := o.target.Env.Name
	switch {
	case err != nil:
		fmt.Fprintf(o.ErrOut, "error: %s: %v\n", env, err)
	case o.Action == promote.Abort && res.Result != nil && res.Result.Record != nil:
		rec := res.Result.Record
		fmt.Fprintf(o.ErrOut, "%s: revision %d aborted: %s\n", env, rec.Revision, backTo(rec))
	case res.TookOver && res.Result != nil && res.Result.Record != nil:
		fmt.Fprintf(o.ErrOut, "%s: revision %d %s\n", env, res.Result.Record.Revision, res.Result.Record.Status)
	case o.Action == promote.Resume:
		fmt.Fprintf(o.ErrOut, "%s: resumed; %s drives the rollout on (follow it with `kubectl promote status %s --watch`)\n", env, res.Driver, env)
	default:
		fmt.Fprintf(o.ErrOut, "%s: aborted\n", env)
	}
}

func backTo(rec *release.Record) string {
	if rec.RolledBackTo > 0 {
		return fmt.Sprintf("revision %d runs again", rec.RolledBackTo)
	}
	return "the objects it created were deleted"
}
