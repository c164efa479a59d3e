package cli

import (
	"context"
	"path/filepath"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// takeNamespaces gives each Kustomize environment of p the namespace its
// overlay sets, read from kustomize's own output (so a namespace: set in a
// base, or a Namespace object, counts wherever it is); the others keep the
// invented <app>-<env>. It records in layout where each came from.
func (o *InitOptions) takeNamespaces(ctx context.Context, layout *pipeline.Layout, p *pipeline.Pipeline) error {
	path, err := filepath.Abs(o.Path)
	if err != nil {
		return badInput(err)
	}
	p.Path = path
	defer func() { p.Path = "" }()
	for i := range p.Spec.Environments {
		le := &layout.Envs[i]
		le.NamespaceFrom = pipeline.NamespaceFromInvented
		if layout.Source != "kustomize" {
			continue
		}
		ns, from := overlayNamespace(ctx, p, p.Spec.Environments[i])
		le.NamespaceFrom = from
		if ns != "" {
			le.Namespace = ns
			p.Spec.Environments[i].Namespace = ns
		}
	}
	return nil
}

// overlayNamespace renders env's overlay without a namespace of ours and
// reads the one it sets. An overlay that does not render keeps the
// invented namespace: init writes the file anyway, and `render` shows the
// error.
func overlayNamespace(ctx context.Context, p *pipeline.Pipeline, env pipeline.Environment) (ns, from string) {
	env.Namespace = ""
	r, err := render.For(p, &env)
	if err != nil {
		return "", pipeline.NamespaceFromInvented + ": the overlay does not render"
	}
	res, err := r.Render(ctx, render.Options{})
	if err != nil {
		return "", pipeline.NamespaceFromInvented + ": the overlay does not render"
	}
	return pipeline.NamespaceOf(res.Objects)
}
