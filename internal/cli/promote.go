package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// PromoteOptions are the options of `kubectl promote TARGET…`.
type PromoteOptions struct {
	*GlobalOptions
	DeployFlags
	// From overrides every target's upstream.
	From string
	// Approve approves in advance (CI); Approver names who approves.
	Approve  bool
	Approver string
	// Write persists the promoted references into each target's source.
	Write bool

	pipeline *pipeline.Pipeline
	targets  []promote.Target
	// flushes wait for each target's notifications when the chain ends.
	flushes []func()
}

// addPromote makes root run `kubectl promote TARGET…`: the verb that names
// the tool is the root command itself, so subcommand names are reserved.
func addPromote(root *cobra.Command, g *GlobalOptions) {
	o := &PromoteOptions{GlobalOptions: g}
	root.Use = "kubectl-promote TARGET..."
	root.Long = "Promote each TARGET in order from its upstream (from:, or --from): the upstream's current\n" +
		"successful release (image references with digests, chart version) is rendered into the\n" +
		"target's own overlay, gated (upstream healthy, soak, approval), diffed, applied with the\n" +
		"target's strategy, watched and undone on failure. A chain stops at the first failure.\n" +
		"Exit codes: 0 done, 2 bad input, 3 cluster error, 4 undone, 5 undo failed, 6 blocked."
	root.Args = cobra.ArbitraryArgs
	root.ValidArgsFunction = CompleteEnvs(g, -1)
	run := runE(o)
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		return run(cmd, args)
	}
	o.DeployFlags.add(root)
	f := root.Flags()
	f.StringVar(&o.From, "from", "", "promote from this environment instead of each target's from:")
	f.BoolVar(&o.Approve, "approve", false, "approve targets whose gates require approval (CI); on a terminal you are asked instead")
	f.StringVar(&o.Approver, "approver", "", "who approves, recorded in the release (default: $GITHUB_ACTOR, $GITLAB_USER_LOGIN or $USER)")
	f.BoolVar(&o.Write, "write", false, "after each successful promotion, write the promoted image references into the target's kustomization.yaml images: or Helm values file")
}

// Complete resolves the targets (the overrides move them, and only them)
// and checks --from.
func (o *PromoteOptions) Complete(args []string) error {
	p, err := o.LoadPipeline()
	if err != nil {
		return badInput(err)
	}
	o.pipeline = p
	if err := o.oneTarget(args); err != nil {
		return err
	}
	for _, name := range args {
		t, err := o.Target(name)
		if err != nil {
			return err
		}
		o.targets = append(o.targets, t)
	}
	if o.From != "" {
		if _, err := p.Env(o.From); err != nil {
			return badInput(err)
		}
	}
	if o.Approver == "" {
		o.Approver = defaultApprover(os.Getenv)
	}
	return nil
}

// defaultApprover is the CI actor when there is one, else the user.
func defaultApprover(getenv func(string) string) string {
	for _, v := range []string{"GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR", "USER"} {
		if s := getenv(v); s != "" {
			return s
		}
	}
	return "unknown"
}

// Validate checks the flags and that every target has an upstream.
func (o *PromoteOptions) Validate() error {
	if err := checkOutput(o.Output, OutputText, "jsonl"); err != nil {
		return err
	}
	for _, target := range o.targets {
		t := target.Env
		up := o.upstreamName(t)
		switch {
		case up == "":
			return exitcode.With(exitcode.BadInput, fmt.Errorf("environment %s has no upstream: set from: in %s or pass --from ENV", t.Name, forHumans(o.pipeline.Path)))
		case up == t.Name:
			return exitcode.With(exitcode.BadInput, fmt.Errorf("environment %s cannot be promoted from itself", t.Name))
		}
	}
	if o.Write && o.DryRun {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--write with --dry-run: a dry run changes nothing, files included"))
	}
	return nil
}

func (o *PromoteOptions) upstreamName(t *pipeline.Environment) string {
	if o.From != "" {
		return o.From
	}
	return t.From
}

// Run promotes each target in order and stops at the first failure.
func (o *PromoteOptions) Run(ctx context.Context) error {
	defer func() { flushAll(o.flushes) }()
	for _, t := range o.targets {
		if err := o.promoteOne(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func (o *PromoteOptions) promoteOne(ctx context.Context, target promote.Target) error {
	p, err := o.promotion(target)
	if err != nil {
		return err
	}
	pr := newProgressFor(o.GlobalOptions, target.Env.Name)
	p.Request.Events, p.Request.HardStop = redactEvents(pr.event), HardStop(ctx)
	o.flushes = append(o.flushes, o.openNotify(ctx, &p.Request))
	res, err := promote.Promote(ctx, p)
	err = diff.Known().Error(err) // jsonl, GitHub annotations and summary print it
	pr.result(p.Request, res.Deploy, err)
	if err != nil {
		return Reported(err)
	}
	if o.Write {
		return o.write(ctx, target.Env, res)
	}
	return nil
}

// promotion gathers the upstream (where promote.yaml puts it), renderer and
// deploy request of target.
func (o *PromoteOptions) promotion(target promote.Target) (promote.Promotion, error) {
	up, err := o.Upstream(o.upstreamName(target.Env))
	if err != nil {
		return promote.Promotion{}, err
	}
	r, err := render.For(o.pipeline, target.Env)
	if err != nil {
		return promote.Promotion{}, badInput(err)
	}
	p := promote.Promotion{
		Upstream: up.Env, UpstreamClients: up.Clients, UpstreamNamespace: up.Namespace(), Renderer: r,
		Request:  o.DeployFlags.request(target),
		Approval: promote.Approval{Approved: o.Approve, Approver: o.Approver},
	}
	if !o.Approve && !o.Yes && o.stdinTerminal() {
		p.Approval.Ask = o.ask
	}
	return p, nil
}

func (o *PromoteOptions) stdinTerminal() bool {
	f, ok := o.In.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ask puts question to the person at the terminal; only "y" or "yes" approves.
func (o *PromoteOptions) ask(ctx context.Context, question string) (bool, error) {
	fmt.Fprintf(o.ErrOut, "%s [y/N] ", question)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(o.In).ReadString('\n')
		answer <- strings.ToLower(strings.TrimSpace(line))
	}()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case a := <-answer:
		return a == "y" || a == "yes", nil
	}
}

// write persists the promoted references into target's source files.
func (o *PromoteOptions) write(ctx context.Context, target *pipeline.Environment, res *promote.PromotionResult) error {
	files, err := promote.Write(ctx, o.pipeline, target, res.Promoted)
	for _, f := range files {
		fmt.Fprintf(o.ErrOut, "wrote %s\n", forHumans(f))
	}
	if err != nil {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--write %s: the release is deployed but its source was not updated: %w", target.Name, err))
	}
	return nil
}
