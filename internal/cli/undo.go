package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// UndoOptions are the options of `undo ENV`.
type UndoOptions struct {
	*GlobalOptions
	DeployFlags
	ToRevision int

	pipeline *pipeline.Pipeline
	env      *pipeline.Environment
	clients  *kube.Clients
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

// Complete loads the pipeline and the environment's cluster.
func (o *UndoOptions) Complete(args []string) error {
	var err error
	o.pipeline, o.env, o.clients, err = o.loadEnv(args[0])
	return err
}

// Validate checks the flags.
func (o *UndoOptions) Validate() error {
	if o.ToRevision < 0 {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--to-revision must be positive"))
	}
	return nil
}

// Run finds the target record and deploys its manifest as a new revision.
func (o *UndoOptions) Run(ctx context.Context) error {
	store := release.NewStore(o.clients.Typed, o.Namespace(o.env), o.pipeline.Metadata.Name, o.env.Name)
	target, err := undoTarget(ctx, store, o.ToRevision)
	if err != nil {
		return err
	}
	objs, err := rollout.DecodeManifest(target.Manifest)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "%s: going back to revision %d (%s)\n", o.env.Name, target.Revision, artifactList(target.Artifacts))
	req := o.DeployFlags.request(o.GlobalOptions, o.pipeline, o.env, o.clients)
	req.Objects, req.Artifacts = objs, target.Artifacts
	req.Source = &release.Source{Environment: o.env.Name, Revision: target.Revision}
	return runDeploy(ctx, o.GlobalOptions, req)
}

func undoTarget(ctx context.Context, store *release.Store, rev int) (*release.Record, error) {
	if rev > 0 {
		rec, err := store.Get(ctx, rev)
		if err != nil {
			return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("revision %d: %w (see `kubectl promote history`)", rev, err))
		}
		return rec, nil
	}
	recs, err := store.List(ctx)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, err)
	}
	seen := false
	for _, r := range recs {
		if r.Status != release.Succeeded {
			continue
		}
		if seen {
			return r, nil
		}
		seen = true
	}
	return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("no earlier successful release to go back to (see `kubectl promote history`)"))
}

func artifactList(as []release.Artifact) string {
	s := ""
	for i, a := range as {
		if i > 0 {
			s += ", "
		}
		s += a.Ref
	}
	if s == "" {
		return "no artifacts"
	}
	return s
}

// loadEnv loads the pipeline, one environment and its cluster's clients.
func (g *GlobalOptions) loadEnv(name string) (*pipeline.Pipeline, *pipeline.Environment, *kube.Clients, error) {
	p, err := g.LoadPipeline()
	if err != nil {
		return nil, nil, nil, err
	}
	env, err := p.Env(name)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := g.ClientsFor(env)
	return p, env, c, err
}
