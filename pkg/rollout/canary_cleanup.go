package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// canarySelector selects the canary objects of the switch's environment.
func canarySelector(s *Switch) string {
	m := maps.Clone(s.Owner)
	if m == nil {
		m = map[string]string{}
	}
	m[LabelTrack] = TrackCanary
	return labelSelector(m)
}

// trafficOff is the first thing a canary undo does: canary Ingresses to
// weight 0, the HTTPRoute back to the previous release's, canary
// Deployments to 0 replicas. It does what it can and says what it did;
// what fails is reported and left to the rest of the undo.
func trafficOff(ctx context.Context, s *Switch, spec pipeline.Canary) string {
	var done []string
	ings := s.Clients.Typed.NetworkingV1().Ingresses(s.Namespace)
	if list, err := ings.List(ctx, metav1.ListOptions{LabelSelector: canarySelector(s)}); err == nil {
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{AnnotationNginxCanaryWeight: "0"}}})
		for _, ing := range list.Items {
			if _, err := ings.Patch(ctx, ing.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: s.ApplyOptions(true).FieldManager}); err != nil {
				s.Emit("undo", "warning: %s: canary weight to 0: %v", refName("Ingress", s.Namespace, ing.Name), err)
				continue
			}
			done = append(done, fmt.Sprintf("Ingress %s weight 0", ing.Name))
		}
	}
	if spec.Traffic != nil && spec.Traffic.GatewayAPI != nil {
		if what := restoreRoute(ctx, s, spec.Traffic.GatewayAPI.HTTPRoute); what != "" {
			done = append(done, what)
		}
	}
	deps := s.Clients.Typed.AppsV1().Deployments(s.Namespace)
	if list, err := deps.List(ctx, metav1.ListOptions{LabelSelector: canarySelector(s)}); err == nil {
		patch := []byte(`{"spec":{"replicas":0}}`)
		for _, d := range list.Items {
			if _, err := deps.Patch(ctx, d.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
				s.Emit("undo", "warning: %s: scale to 0: %v", refName("Deployment", s.Namespace, d.Name), err)
				continue
			}
			done = append(done, fmt.Sprintf("Deployment %s 0 replicas", d.Name))
		}
	}
	return strings.Join(done, ", ")
}

// restoreRoute applies the HTTPRoute name as the previous release had it
// (as this release has it, if the previous had none): without the
// backendRefs to -canary Services.
func restoreRoute(ctx context.Context, s *Switch, name string) string {
	prev, _ := s.PreviousObjects()
	route := find(prev, gkHTTPRoute, name)
	if route == nil {
		route = find(s.Objects, gkHTTPRoute, name)
	}
	if route == nil {
		return ""
	}
	if _, err := ApplyOne(ctx, s.Clients, route, s.ApplyOptions(true)); err != nil {
		s.Emit("undo", "warning: %v", err)
		return ""
	}
	return "HTTPRoute " + name + " without canary backends"
}

// waitPodsGone waits (a while at most) until no pod matching sel runs in
// the namespace anymore, so that unpinning a Service afterwards cannot send
// them traffic (terminating pods are no endpoints).
func waitPodsGone(ctx context.Context, s *Switch, sel map[string]string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		pods, err := s.Clients.Typed.CoreV1().Pods(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labelSelector(sel)})
		if err != nil {
			return
		}
		running := 0
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil {
				running++
			}
		}
		if running == 0 {
			return
		}
		select {
		case <-ctx.Done():
			s.Emit("undo", "warning: %d pods (%s) still running", running, labelSelector(sel))
			return
		case <-s.clock().After(50 * time.Millisecond):
		}
	}
}

// canaryResources are the kinds of canary objects, in deletion order.
var canaryResources = []schema.GroupVersionResource{
	{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
	{Version: "v1", Resource: "services"},
	{Group: "apps", Version: "v1", Resource: "deployments"},
}

// removeCanary deletes the canary Ingresses, Services and Deployments of
// the environment.
func removeCanary(ctx context.Context, s *Switch) error {
	bg := metav1.DeletePropagationBackground
	for _, gvr := range canaryResources {
		ri := s.Clients.Dynamic.Resource(gvr).Namespace(s.Namespace)
		list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: canarySelector(s)})
		if err != nil {
			return fmt.Errorf("list the canary %s of %s: %w", gvr.Resource, s.Namespace, err)
		}
		for _, u := range list.Items {
			err := ri.Delete(ctx, u.GetName(), metav1.DeleteOptions{PropagationPolicy: &bg})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("%s: delete: %w", kube.RefOf(&u), err)
			}
			s.Emit("prune", "deleted %s", kube.RefOf(&u))
		}
	}
	return nil
}
