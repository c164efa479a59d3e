package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// RenderOptions prints an environment's rendered manifests.
type RenderOptions struct {
	g *GlobalOptions
	// EnvName is the environment to render.
	EnvName string
	// Format is yaml or json.
	Format string

	pipeline *pipeline.Pipeline
	env      *pipeline.Environment
}

// NewCmdRender returns `render ENV`.
func NewCmdRender(g *GlobalOptions) *cobra.Command {
	o := &RenderOptions{g: g}
	return &cobra.Command{
		Use:   "render ENV",
		Short: "Print the environment's rendered manifests (no cluster needed)",
		Long: "Render ENV's Kustomize overlay or Helm chart with its values, exactly as `kubectl kustomize` or\n" +
			"`helm template` would, with the environment's namespace set on namespaced objects that lack one.\n" +
			"Prints YAML (or -o json) to stdout; nothing touches a cluster.",
		Example:           "  kubectl promote render staging\n  kubectl promote render prod -o json | jq '.items[].kind'",
		Args:              badArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
}

// Complete loads the pipeline and finds the environment.
func (o *RenderOptions) Complete(_ *cobra.Command, args []string) error {
	o.EnvName, o.Format = args[0], o.g.Output
	if o.Format == OutputText {
		o.Format = OutputYAML
	}
	p, err := o.g.LoadPipeline()
	if err != nil {
		return err
	}
	o.pipeline = p
	o.env, err = p.Env(o.EnvName)
	return err
}

// Validate checks the output format.
func (o *RenderOptions) Validate() error {
	return checkOutput(o.Format, OutputYAML, OutputJSON)
}

// Run renders and prints; render failures are bad input (exit 2). Warnings
// (such as Helm hooks left out) go to stderr.
func (o *RenderOptions) Run(ctx context.Context) error {
	r, err := render.For(o.pipeline, o.target())
	if err != nil {
		return badInput(err)
	}
	res, err := r.Render(ctx, render.Options{})
	if err != nil {
		return badInput(err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(o.g.ErrOut, "warning: %s\n", w)
	}
	return render.Encode(o.g.Out, res.Objects, o.Format)
}

// target is the environment as it would be applied: --namespace (or
// `helm -n`) replaces its namespace, as it does for diff and apply.
func (o *RenderOptions) target() *pipeline.Environment {
	ns := o.g.Namespace(o.env)
	if ns == o.env.Namespace {
		return o.env
	}
	e := *o.env
	e.Namespace = ns
	return &e
}
