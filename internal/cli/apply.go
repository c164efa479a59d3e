package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// ApplyOptions are the options of `apply ENV`.
type ApplyOptions struct {
	*GlobalOptions
	// DeployFlags are shared with the promotion command.
	DeployFlags

	target promote.Target
}

// DeployFlags are the flags of every command that changes an environment.
type DeployFlags struct {
	DryRun         bool
	ForceConflicts bool
	WaitForLock    time.Duration
	LeaseDuration  time.Duration
	Timeout        time.Duration
	Verify         time.Duration
	// CreateNamespace creates the environment's namespace when it is
	// missing and the render holds no Namespace for it.
	CreateNamespace bool
}

func (f *DeployFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.DryRun, "dry-run", false, "render, dry-run and diff only: change nothing")
	fl.BoolVar(&f.ForceConflicts, "force-conflicts", false, "take over fields owned by other field managers")
	fl.DurationVar(&f.WaitForLock, "wait-for-lock", 0, "wait this long for another run's lock instead of failing at once")
	fl.DurationVar(&f.LeaseDuration, "lock-lease", 30*time.Second, "lease duration of the environment lock (a killed run's lock is taken over after it)")
	fl.DurationVar(&f.Timeout, "timeout", 0, "rollout timeout (default: the environment's health.timeout)")
	fl.BoolVar(&f.CreateNamespace, "create-namespace", false, "create the environment's namespace if it is missing and the render holds no Namespace for it")
	fl.DurationVar(&f.Verify, "verify", -1, "keep watching this long after the rollout is complete (default: health.verify)")
}

// NewCmdApply returns `apply ENV`.
func NewCmdApply(g *GlobalOptions) *cobra.Command {
	o := &ApplyOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:               "apply ENV",
		Short:             "Deploy an environment's own desired state with its strategy, watch it, undo on failure",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
	o.DeployFlags.add(cmd)
	return cmd
}

// Complete resolves ENV to its pipeline, placement and cluster.
func (o *ApplyOptions) Complete(args []string) error {
	var err error
	o.target, err = o.Target(args[0])
	return err
}

// Validate checks the flags.
func (o *ApplyOptions) Validate() error {
	switch o.Output {
	case "text", "jsonl", "json":
		return nil
	}
	return exitcode.With(exitcode.BadInput, fmt.Errorf("--output %q: apply prints text or jsonl", o.Output))
}

// Run renders, deploys and reports.
func (o *ApplyOptions) Run(ctx context.Context) error {
	res, err := renderEnv(ctx, o.target.Pipeline, o.target.Env, render.Options{})
	if err != nil {
		return err
	}
	req := o.DeployFlags.request(o.target)
	req.Objects, req.Artifacts, req.Hooks = res.Objects, promote.Artifacts(res), promote.Hooks(res.Hooks)
	return runDeploy(ctx, o.GlobalOptions, req, promote.Deploy)
}

// renderEnv renders env (placed: its namespace is the one deployed to);
// render failures are bad input.
func renderEnv(ctx context.Context, p *pipeline.Pipeline, env *pipeline.Environment, ro render.Options) (*render.Result, error) {
	r, err := render.For(p, env)
	if err != nil {
		return nil, badInput(err)
	}
	res, err := r.Render(ctx, ro)
	return res, badInput(err)
}

// request builds a deploy request of t from the flags.
func (f *DeployFlags) request(t promote.Target) promote.Request {
	p, env := t.Pipeline, t.Env
	h := p.Health(env)
	if f.Timeout > 0 {
		h.Timeout = pipeline.Duration(f.Timeout)
	}
	if f.Verify >= 0 {
		h.Verify = pipeline.Duration(f.Verify)
	}
	return promote.Request{
		Pipeline: p.Metadata.Name, Env: env, Namespace: t.Namespace(), Clients: t.Clients,
		Health: h, History: p.History(env), Holder: release.DefaultHolder(),
		Lock:   release.LockOptions{LeaseDuration: f.LeaseDuration, WaitFor: f.WaitForLock},
		DryRun: f.DryRun, Force: f.ForceConflicts, CreateNamespace: f.CreateNamespace,
	}
}

// runDeploy runs one deploy (promote.Deploy, or an action built on it) with
// progress output and a closing line.
func runDeploy(ctx context.Context, g *GlobalOptions, req promote.Request, deploy func(context.Context, promote.Request) (*promote.Result, error)) error {
	pr := newProgressFor(g, req.Env.Name)
	req.Events, req.HardStop = redactEvents(pr.event), HardStop(ctx)
	defer g.openNotify(ctx, &req)()
	res, err := deploy(ctx, req)
	err = diff.Known().Error(err) // jsonl, GitHub annotations and summary print it
	pr.result(req, res, err)
	if err != nil {
		return Reported(err)
	}
	return nil
}
