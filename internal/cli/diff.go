package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// DiffOptions shows what applying an environment would change.
type DiffOptions struct {
	*GlobalOptions
	// From, when set, is the environment whose artifacts are promoted
	// into ENV; it is read where promote.yaml puts it.
	From string
	// Context is -U: unchanged lines around each change.
	Context int
	// Concurrency bounds the objects diffed at once.
	Concurrency int
	// ShowSecrets prints Secret values instead of markers.
	ShowSecrets bool
	// ForceConflicts takes over fields other managers own, as apply would.
	ForceConflicts bool
	// AlwaysDryRun dry-runs objects proven unchanged too.
	AlwaysDryRun bool

	env    *pipeline.Environment
	from   *pipeline.Environment
	target promote.Target
}

// NewCmdDiff returns `diff ENV [--from SRC]`.
func NewCmdDiff(g *GlobalOptions) *cobra.Command {
	o := &DiffOptions{GlobalOptions: g, Context: diff.DefaultContext, Concurrency: diff.DefaultConcurrency}
	cmd := &cobra.Command{
		Use:   "diff ENV [--from SRC]",
		Short: "Show what applying ENV (or promoting SRC into ENV) would change in its cluster",
		Long: "Render ENV and diff it against its cluster with a server-side apply dry-run, one per object.\n" +
			"With --from SRC, SRC's image references replace those of the same repositories in ENV's render.\n" +
			"Owned objects of the current release that the render lacks show as deleted, as apply would prune them.\n" +
			"Secret values are masked unless --show-secrets. Fields another field manager changed by hand (drift)\n" +
			"show as apply --force-conflicts would change them, marked with their managers.\n" +
			"Exit codes: 0 no differences, 1 differences,\n" +
			"2 bad input, 3 cluster error (unreachable, forbidden, dry-run rejected).",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
	f := cmd.Flags()
	f.StringVar(&o.From, "from", "", "promote SRC's artifacts into ENV (default: ENV's own desired state)")
	f.IntVarP(&o.Context, "unified", "U", o.Context, "lines of context around each change")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "objects diffed at once")
	f.BoolVar(&o.ShowSecrets, "show-secrets", false, "print Secret values instead of masking them")
	f.BoolVar(&o.ForceConflicts, "force-conflicts", false, "dry-run as if taking over fields other field managers own")
	f.BoolVar(&o.AlwaysDryRun, "always-dry-run", false,
		"dry-run every object, also those whose managed fields prove applying changes nothing (for mutating webhooks)")
	return cmd
}

// Complete finds ENV (and SRC); Run connects, so that a flag mistake shows
// whatever state the kubeconfig is in.
func (o *DiffOptions) Complete(args []string) error {
	p, env, err := o.TargetEnv(args[0])
	if err != nil {
		return err
	}
	o.env = env
	if o.From != "" {
		if o.from, err = p.Env(o.From); err != nil {
			return badInput(err)
		}
	}
	return nil
}

// Validate checks the flags.
func (o *DiffOptions) Validate() error {
	if err := checkOutput(o.Output, OutputText, OutputJSON); err != nil {
		return err
	}
	switch {
	case o.Context < 0:
		return exitcode.With(exitcode.BadInput, fmt.Errorf("-U %d: must not be negative", o.Context))
	case o.Concurrency < 1:
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--concurrency %d: must be at least 1", o.Concurrency))
	case o.from != nil && o.from.Name == o.env.Name:
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--from %s: an environment cannot be promoted into itself", o.From))
	}
	return nil
}

// Run renders, diffs and prints; differences exit 1.
func (o *DiffOptions) Run(ctx context.Context) error {
	var err error
	if o.target, err = o.Target(o.env.Name); err != nil {
		return err
	}
	objs, err := o.render(ctx)
	if err != nil {
		return err
	}
	opts, err := o.diffOptions(ctx)
	if err != nil {
		return err
	}
	// What apply sends: replicas an HPA manages are left to it.
	cs, err := diff.Diff(ctx, o.target.Clients, rollout.LeaveReplicasToHPAs(objs), opts)
	if err != nil {
		return err
	}
	if err := o.print(cs); err != nil {
		return err
	}
	if cs.HasDifferences() {
		return Reported(exitcode.With(exitcode.Differences, errors.New(cs.Summary())))
	}
	return nil
}

// diffOptions are the flags plus what apply judges deletions by: the
// inventory of ENV's current release, so the diff shows every object apply
// would prune, whatever its kind.
func (o *DiffOptions) diffOptions(ctx context.Context) (diff.Options, error) {
	t := o.target
	opts := diff.DefaultOptions()
	opts.Concurrency, opts.Force, opts.ShowSecrets = o.Concurrency, o.ForceConflicts, o.ShowSecrets
	opts.AlwaysDryRun, opts.Drift = o.AlwaysDryRun, true
	opts.Namespace, opts.AllowedNamespaces = t.Namespace(), t.Env.AllowNamespaces
	opts.Owner = diff.Owner{Pipeline: t.PipelineName(), Environment: t.Env.Name}
	prev, err := promote.PreviousInventory(ctx, t)
	if err != nil {
		return opts, err
	}
	opts.Previous = prev
	return opts, nil
}

// render renders ENV into its namespace (--namespace honoured); with
// --from, with the artifacts SRC runs: those of its current release, as
// `kubectl promote` would carry them, or SRC's own render while it has none.
func (o *DiffOptions) render(ctx context.Context) ([]*unstructured.Unstructured, error) {
	var ropts render.Options
	if o.from != nil {
		var err error
		if ropts, err = o.fromArtifacts(ctx); err != nil {
			return nil, err
		}
	}
	res, err := o.renderEnv(ctx, o.target.Env, ropts)
	if err != nil {
		return nil, err
	}
	return res.Objects, nil
}

// fromArtifacts reads SRC's current release; without one (or without its
// cluster) it falls back to rendering SRC, and says so.
func (o *DiffOptions) fromArtifacts(ctx context.Context) (render.Options, error) {
	src, err := o.Upstream(o.from.Name)
	if err == nil {
		var rec *release.Record
		if rec, err = promote.CurrentRelease(ctx, src); err == nil && rec != nil {
			fmt.Fprintf(o.ErrOut, "promoting %s revision %d: %s\n", o.from.Name, rec.Revision, artifactRefs(rec.Artifacts))
			return promote.RenderOptions(rec.Artifacts), nil
		}
	}
	why := "it has no successful release"
	if err != nil {
		why = err.Error()
	}
	fmt.Fprintf(o.ErrOut, "warning: %s: using its rendered images, not a release (%s)\n", o.from.Name, why)
	res, err := o.renderEnv(ctx, o.from, render.Options{})
	if err != nil {
		return render.Options{}, err
	}
	return promote.RenderOptions(promote.Artifacts(res)), nil
}

func artifactRefs(arts []release.Artifact) string {
	refs := make([]string, len(arts))
	for i, a := range arts {
		refs[i] = promote.ArtifactText(a)
	}
	return strings.Join(refs, ", ")
}

// renderEnv renders env where it lives (ENV placed by the overrides, SRC
// as promote.yaml has it) and prints the render's warnings.
func (o *DiffOptions) renderEnv(ctx context.Context, env *pipeline.Environment, ropts render.Options) (*render.Result, error) {
	res, err := renderEnv(ctx, o.target.Pipeline, env, ropts)
	if err != nil {
		return nil, err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(o.ErrOut, "warning: %s: %s\n", env.Name, w)
	}
	return res, nil
}

// print writes the diff to stdout; with -o json the summary also goes to
// stderr for people reading CI logs.
func (o *DiffOptions) print(cs *diff.ChangeSet) error {
	if o.Output == OutputJSON {
		fmt.Fprintln(o.ErrOut, cs.Summary())
		return diff.WriteJSON(o.Out, cs)
	}
	return diff.WriteText(o.Out, cs, diff.TextOptions{Context: o.Context, Color: o.ColorEnabled(o.Out)})
}
