package rollout

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// LiveRefs maps a release's inventory to the objects that run it. Under
// blue-green a Deployment of the release runs as <name>-<colour>, the colour
// the active Service selects; other strategies run the objects as named.
func LiveRefs(ctx context.Context, c *kube.Clients, env *pipeline.Environment, refs []kube.ObjectRef) []kube.ObjectRef {
	bg := env.Strategy.BlueGreen
	if bg == nil {
		return refs
	}
	out := make([]kube.ObjectRef, len(refs))
	copy(out, refs)
	for _, r := range refs {
		if r.Kind != "Service" || r.Name != bg.ActiveService {
			continue
		}
		svc, err := c.Typed.CoreV1().Services(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil || svc.Spec.Selector[LabelColor] == "" {
			return refs
		}
		color := svc.Spec.Selector[LabelColor]
		for i, d := range out {
			if d.Kind != "Deployment" || d.Namespace != r.Namespace {
				continue
			}
			if _, err := c.Typed.AppsV1().Deployments(d.Namespace).Get(ctx, colorName(d.Name, color), metav1.GetOptions{}); err == nil {
				out[i].Name = colorName(d.Name, color)
			}
		}
	}
	return out
}
