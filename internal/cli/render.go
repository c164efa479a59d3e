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
	*GlobalOptions

	// format is yaml or json: -o, with text meaning yaml.
	format   string
	pipeline *pipeline.Pipeline
	env      *pipeline.Environment
}

// NewCmdRender returns `render ENV`.
func NewCmdRender(g *GlobalOptions) *cobra.Command {
	o := &RenderOptions{GlobalOptions: g}
	return &cobra.Command{
		Use:   "render ENV",
		Short: "Print the environment's rendered manifests (no cluster needed)",
		Long: "Render ENV's Kustomize overlay or Helm chart with its values, exactly as `kubectl kustomize` or\n" +
			"`helm template` would, with the environment's namespace (or -n) set on namespaced objects that lack one.\n" +
			"Prints YAML (or -o json) to stdout; nothing touches a cluster.",
		Example:           "  kubectl promote render staging\n  kubectl promote render prod -o json | jq '.items[].kind'",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
}

// Complete finds ENV, placed as it would be applied (-n honoured).
func (o *RenderOptions) Complete(args []string) error {
	o.format = o.Output
	if o.format == OutputText {
		o.format = OutputYAML
	}
	var err error
	o.pipeline, o.env, err = o.TargetEnv(args[0])
	return err
}

// Validate checks the output format.
func (o *RenderOptions) Validate() error {
	return checkOutput(o.format, OutputYAML, OutputJSON)
}

// Run renders and prints; render failures are bad input (exit 2). Warnings
// (such as Helm hooks left out) go to stderr.
func (o *RenderOptions) Run(ctx context.Context) error {
	res, err := renderEnv(ctx, o.pipeline, o.env, render.Options{})
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(o.ErrOut, "warning: %s\n", w)
	}
	return render.Encode(o.Out, res.Objects, o.format)
}
