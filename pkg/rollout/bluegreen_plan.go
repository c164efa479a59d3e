package rollout

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// side is one side of a blue-green switch: a colour, or the plain
// Deployment of a release deployed before the environment was blue-green
// (told apart by its pods' pod-template-hash).
type side struct {
	Color string
	Hash  string
}

// selector is what the active Service's selector carries, on top of the
// release's own, to select this side only.
func (sd side) selector() map[string]string {
	if sd.Color != "" {
		return map[string]string{LabelColor: sd.Color}
	}
	return map[string]string{labelPodTemplateHash: sd.Hash}
}

// String names the side in progress lines and State.Weights.
func (sd side) String() string {
	if sd.Color != "" {
		return sd.Color
	}
	return TrackStable
}

// other returns the colour a new release goes to.
func (sd side) other() string {
	if sd.Color == ColorBlue {
		return ColorGreen
	}
	return ColorBlue
}

// blueGreenPlan is what a blue-green rollout changes, worked out from the
// release and the strategy.
type blueGreenPlan struct {
	spec pipeline.BlueGreen
	// targets are the names of the release's Deployments whose pods the
	// active Service selects; each runs as <name>-blue and <name>-green.
	targets []string
	notes   []string
}

// newBlueGreenPlan finds the Deployments behind the active Service.
func newBlueGreenPlan(spec pipeline.BlueGreen, next, prev []*unstructured.Unstructured) (*blueGreenPlan, error) {
	p := &blueGreenPlan{spec: spec}
	active := find(next, gkService, spec.ActiveService)
	if active == nil {
		return nil, fmt.Errorf("blueGreen.activeService %q: the release has no Service of that name", spec.ActiveService)
	}
	if spec.PreviewService != "" && find(next, gkService, spec.PreviewService) == nil {
		return nil, fmt.Errorf("blueGreen.previewService %q: the release has no Service of that name", spec.PreviewService)
	}
	var workloads []*unstructured.Unstructured
	for _, d := range ofKind(next, gkDeployment) {
		if selects(serviceSelector(active), podLabels(d)) {
			p.targets = append(p.targets, d.GetName())
			workloads = append(workloads, d)
		}
	}
	if len(p.targets) == 0 {
		return nil, fmt.Errorf("blueGreen.activeService %q: its selector %s picks the pods of no Deployment of the release",
			spec.ActiveService, labelSelector(serviceSelector(active)))
	}
	p.notes = configWarnings(workloads, next, prev)
	return p, nil
}

func (p *blueGreenPlan) isTarget(u *unstructured.Unstructured) bool {
	return isKind(u, gkDeployment) && p.isTargetName(u.GetName())
}

func (p *blueGreenPlan) isTargetName(name string) bool {
	return slices.Contains(p.targets, name)
}

// colorName is the name of the Deployment name in colour.
func colorName(name, color string) string { return name + "-" + color }

// colored returns objs (a release) as they run on colour: each target
// Deployment as <name>-<colour>, the active Service selecting active and
// the preview Service the colour, the HPAs scaling a target scaling its
// active side. Other objects are returned as they are.
func (p *blueGreenPlan) colored(objs []*unstructured.Unstructured, color string, active side) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, u := range objs {
		switch {
		case p.scalesTarget(u):
			out = append(out, p.scaling(u, active))
		case p.isTarget(u):
			out = append(out, variant(u, colorName(u.GetName(), color), LabelColor, color))
		case isKind(u, gkService) && u.GetName() == p.spec.ActiveService:
			out = append(out, withSelector(u, active.selector()))
		case isKind(u, gkService) && u.GetName() == p.spec.PreviewService:
			out = append(out, withSelector(u, map[string]string{LabelColor: color}))
		default:
			out = append(out, u)
		}
	}
	return out
}

// scalesTarget tells whether u is an HPA scaling a target Deployment.
func (p *blueGreenPlan) scalesTarget(u *unstructured.Unstructured) bool {
	gk, name, ok := scaleTarget(u)
	return ok && gk == gkDeployment && p.isTargetName(name)
}

// scaling returns the HPA h scaling side sd: once the colours replace
// the plain Deployment, an HPA naming it would scale nothing.
func (p *blueGreenPlan) scaling(h *unstructured.Unstructured, sd side) *unstructured.Unstructured {
	_, name, _ := scaleTarget(h)
	if sd.Color == "" {
		return h
	}
	return retargeted(h, colorName(name, sd.Color))
}

// scalers returns the HPAs of objs that scale a target, scaling side sd.
func (p *blueGreenPlan) scalers(objs []*unstructured.Unstructured, sd side) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range objs {
		if p.scalesTarget(u) {
			out = append(out, p.scaling(u, sd))
		}
	}
	return out
}

// activeService returns the active Service of objs selecting sd.
func (p *blueGreenPlan) activeService(objs []*unstructured.Unstructured, sd side) *unstructured.Unstructured {
	svc := find(objs, gkService, p.spec.ActiveService)
	if svc == nil {
		return nil
	}
	return withSelector(svc, sd.selector())
}

// targetsIn returns the colour Deployments of objs (as colored made them).
func (p *blueGreenPlan) targetsIn(objs []*unstructured.Unstructured, color string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, t := range p.targets {
		if d := find(objs, gkDeployment, colorName(t, color)); d != nil {
			out = append(out, d)
		}
	}
	return out
}

// liveSide reads which side the live active Service selects: its colour,
// or the plain Deployment of a release from before the environment was
// blue-green. ok is false when there is no side yet (a first release).
func (p *blueGreenPlan) liveSide(ctx context.Context, c *kube.Clients, namespace string) (side, bool, error) {
	svc, err := c.Typed.CoreV1().Services(namespace).Get(ctx, p.spec.ActiveService, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return side{}, false, nil
	}
	if err != nil {
		return side{}, false, fmt.Errorf("%s: %w", refName("Service", namespace, p.spec.ActiveService), err)
	}
	if col := svc.Spec.Selector[LabelColor]; col != "" {
		return side{Color: col}, true, nil
	}
	for _, name := range p.targets {
		_, err := c.Typed.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if len(p.targets) > 1 {
			return side{}, false, fmt.Errorf("%s selects %d Deployments: switching them from a plain release to blue-green at once is not supported; delete them first",
				refName("Service", namespace, p.spec.ActiveService), len(p.targets))
		}
		h, err := stableHash(ctx, c, namespace, name)
		if err != nil {
			return side{}, false, err
		}
		return side{Hash: h}, true, nil
	}
	return side{}, false, nil
}
