package rollout

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// router splits traffic between the stable Services and their -canary
// copies. Without one, a canary's share is its share of the pods behind
// the Services selecting both sides (replica ratio).
type router interface {
	// backends are the names of the Services the router sends traffic to.
	backends() []string
	// objects are the router's objects sending weight percent of what
	// reaches each backend in canaries to its -canary copy instead.
	objects(weight int, canaries map[string]bool) []*unstructured.Unstructured
	// String names the router's object, for progress lines.
	String() string
}

// newRouter returns the router of spec, found among the release's objects;
// nil for replica ratio.
func newRouter(spec *pipeline.Traffic, next []*unstructured.Unstructured) (router, error) {
	switch {
	case spec == nil:
		return nil, nil
	case spec.Nginx != nil:
		ing := find(next, gkIngress, spec.Nginx.Ingress)
		if ing == nil {
			return nil, fmt.Errorf("canary.traffic.nginx.ingress %q: the release has no Ingress of that name; the router must be part of the release so that it can be restored whole", spec.Nginx.Ingress)
		}
		return nginxRouter{ingress: ing}, nil
	case spec.GatewayAPI != nil:
		route := find(next, gkHTTPRoute, spec.GatewayAPI.HTTPRoute)
		if route == nil {
			return nil, fmt.Errorf("canary.traffic.gatewayAPI.httpRoute %q: the release has no HTTPRoute of that name; the router must be part of the release so that it can be restored whole", spec.GatewayAPI.HTTPRoute)
		}
		return gatewayRouter{route: route}, nil
	}
	return nil, nil
}

// canaryName is the name of the canary copy of a Deployment or Service.
func canaryName(name string) string { return name + "-canary" }

// canaryReplicas is the canary's share of total replicas at weight percent,
// rounded up: any weight above 0 runs at least one canary pod.
func canaryReplicas(weight int, total int64) int64 {
	switch {
	case weight <= 0 || total <= 0:
		return 0
	case weight >= 100:
		return total
	}
	return (int64(weight)*total + 99) / 100
}

// stableHash returns the pod-template-hash of the pods of the current
// ReplicaSet of the Deployment name: pinning a Service's selector to it
// keeps that Service on the stable pods while a canary runs beside them.
func stableHash(ctx context.Context, c *kube.Clients, namespace, name string) (string, error) {
	ref := refName("Deployment", namespace, name)
	d, err := c.Typed.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("%s: the stable Deployment: %w", ref, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return "", fmt.Errorf("%s: selector: %w", ref, err)
	}
	list, err := c.Typed.AppsV1().ReplicaSets(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return "", fmt.Errorf("%s: list its ReplicaSets: %w", ref, err)
	}
	if h := currentHash(d, list.Items); h != "" {
		return h, nil
	}
	return "", fmt.Errorf("%s: no ReplicaSet of its current revision; is it rolled out? (kubectl promote status)", ref)
}

// currentHash picks the pod-template-hash of d's ReplicaSet of d's revision.
func currentHash(d *appsv1.Deployment, rss []appsv1.ReplicaSet) string {
	rev := d.Annotations["deployment.kubernetes.io/revision"]
	for _, rs := range rss {
		if metav1.IsControlledBy(&rs, d) && rs.Annotations["deployment.kubernetes.io/revision"] == rev {
			return rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		}
	}
	return ""
}
