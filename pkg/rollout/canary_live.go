package rollout

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// liveTotals sets the replica count of each target an HPA scales to what
// runs now: the release leaves spec.replicas to the HPA, so the render
// says nothing of it. The stable and canary Deployments are counted
// together, so a resumed rollout finds the same total.
func (p *canaryPlan) liveTotals(ctx context.Context, c *kube.Clients) error {
	for _, t := range p.targets {
		if !t.scaled {
			continue
		}
		ns := t.stable.GetNamespace()
		stable, err := liveReplicas(ctx, c, ns, t.stable.GetName())
		if err != nil {
			return err
		}
		canary, err := liveReplicas(ctx, c, ns, canaryName(t.stable.GetName()))
		if err != nil {
			return err
		}
		t.total = liveTotal(stable, canary, t.total)
	}
	return nil
}

// liveReplicas reads a Deployment's spec.replicas; nil when it is absent.
func liveReplicas(ctx context.Context, c *kube.Clients, namespace, name string) (*int32, error) {
	d, err := c.Typed.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: reading its replicas: %w", refName("Deployment", namespace, name), err)
	}
	return d.Spec.Replicas, nil
}

// liveTotal is the replicas of the stable and canary Deployments
// together, or fallback when the stable one has none.
func liveTotal(stable, canary *int32, fallback int64) int64 {
	if stable == nil {
		return fallback
	}
	n := int64(*stable)
	if canary != nil {
		n += int64(*canary)
	}
	return max(n, 1)
}

// restoreScaled gives the stable side of each target an HPA scales all
// of its replicas back before promotion: the release's apply leaves them
// as they are, and the canary's share would otherwise be lost.
func (r *canaryRun) restoreScaled(ctx context.Context) error {
	for _, t := range r.plan.targets {
		if t.scaled && !t.routed() {
			if err := r.scaleStable(ctx, t, t.total); err != nil {
				return err
			}
		}
	}
	return nil
}

// setScale sets a Deployment's replicas through its scale subresource.
func setScale(ctx context.Context, c *kube.Clients, namespace, name string, n int32, manager string) error {
	deps := c.Typed.AppsV1().Deployments(namespace)
	scale := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Spec: autoscalingv1.ScaleSpec{Replicas: n}}
	if _, err := deps.UpdateScale(ctx, name, scale, metav1.UpdateOptions{FieldManager: manager}); err != nil {
		return fmt.Errorf("%s: scaling to %d: %w", refName("Deployment", namespace, name), n, err)
	}
	return nil
}
