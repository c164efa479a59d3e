package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// UnlockOptions breaks the lock of an environment.
type UnlockOptions struct {
	*GlobalOptions
	// Force must be set to break a lock; without it the holder is shown.
	Force bool

	target promote.Target
	// now is the clock of the "expires in" texts.
	now func() time.Time
}

// UnlockResult is what `unlock -o json|yaml` prints.
type UnlockResult struct {
	Environment string          `json:"environment"`
	Namespace   string          `json:"namespace"`
	Lease       string          `json:"lease"`
	Holder      *release.Holder `json:"holder,omitempty"`
	Expires     *time.Time      `json:"expires,omitempty"`
	Unlocked    bool            `json:"unlocked"`
}

// NewCmdUnlock returns `unlock ENV --force`.
func NewCmdUnlock(g *GlobalOptions) *cobra.Command {
	o := &UnlockOptions{GlobalOptions: g, now: time.Now}
	cmd := &cobra.Command{
		Use:   "unlock ENV --force",
		Short: "Break a stale lock on an environment, printing who held it",
		Long: "Show who holds the lock of ENV; with --force, break it. The holder, if it is still running,\n" +
			"stops at its next lease renewal. Without --force the command exits 2 after showing the holder.",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "break the lock whoever holds it")
	return cmd
}

// Complete resolves ENV to its pipeline, placement and cluster.
func (o *UnlockOptions) Complete(args []string) error {
	var err error
	o.target, err = o.Target(args[0])
	return err
}

// Validate checks the output format.
func (o *UnlockOptions) Validate() error {
	return checkOutput(o.Output, OutputText, OutputJSON, OutputYAML)
}

// Run shows the holder, and breaks the lock with --force.
func (o *UnlockOptions) Run(ctx context.Context) error {
	t := o.target
	pl, env, ns, client := t.PipelineName(), t.Env.Name, t.Namespace(), t.Clients.Typed
	res := UnlockResult{Environment: env, Namespace: ns, Lease: release.LeaseName(pl, env)}
	var err error
	if o.Force {
		res.Holder, err = release.ForceUnlock(ctx, client, ns, pl, env)
		res.Unlocked = res.Holder != nil
	} else {
		res.Holder, res.Expires, err = release.CurrentHolder(ctx, client, ns, pl, env)
	}
	if err != nil {
		return exitcode.With(exitcode.Cluster, err)
	}
	if err := o.print(res); err != nil {
		return err
	}
	if !o.Force && res.Holder != nil {
		return exitcode.With(exitcode.BadInput, errors.New("not unlocked: pass --force to break the lock"))
	}
	return nil
}

// print reports the result: structured to stdout, text to stderr.
func (o *UnlockOptions) print(res UnlockResult) error {
	if o.Output != OutputText {
		return printStructured(o.Out, res, o.Output)
	}
	w, env := o.ErrOut, res.Environment
	switch {
	case res.Holder == nil:
		fmt.Fprintf(w, "%s is not locked\n", env)
	case res.Unlocked:
		fmt.Fprintf(w, "unlocked %s; it was held by %s\n", env, res.Holder)
	default:
		fmt.Fprintf(w, "%s is locked by %s; %s\n", env, res.Holder, expiresText(*res.Expires, o.now()))
		fmt.Fprintf(w, "if that process is gone, break the lock with: kubectl promote unlock %s --force\n", env)
	}
	return nil
}

// expiresText says when a lease expires, or that it is stale.
func expiresText(expires, now time.Time) string {
	if left := expires.Sub(now).Round(time.Second); left > 0 {
		return fmt.Sprintf("the lease expires in %s unless renewed", left)
	}
	return fmt.Sprintf("the lease expired %s ago (stale: the next promotion takes it over)", now.Sub(expires).Round(time.Second))
}
