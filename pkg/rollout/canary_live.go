package rollout

import (
	"context"
	"fmt"

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
