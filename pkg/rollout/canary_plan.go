package rollout

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// canaryTarget is one Deployment whose pod template the release changes.
type canaryTarget struct {
	// next is the release's Deployment: the canary runs its template.
	next *unstructured.Unstructured
	// stable is the previous release's Deployment, the one running.
	stable *unstructured.Unstructured
	// total is the replica count both sides share.
	total int64
	// scaled tells whether an HPA of the release scales the Deployment:
	// total is then read from the live Deployments (see liveTotals).
	scaled bool
	// services are the release's Services selecting its pods.
	services []*unstructured.Unstructured
	// backends are those of services the router sends traffic to; none
	// means the canary's share is its share of pods.
	backends []string
}

// routed tells whether the router splits this target's traffic.
func (t *canaryTarget) routed() bool { return len(t.backends) > 0 }

// canary returns the canary Deployment, <name>-canary, at n replicas.
func (t *canaryTarget) canary(n int64) *unstructured.Unstructured {
	return withReplicas(variant(t.next, canaryName(t.next.GetName()), LabelTrack, TrackCanary), n)
}

// canaryPlan is what a canary rollout changes, worked out from the
// release, the previous release and the strategy.
type canaryPlan struct {
	spec    pipeline.Canary
	next    []*unstructured.Unstructured
	prev    []*unstructured.Unstructured
	targets []*canaryTarget
	router  router
	// notes are said once at the start: warnings and how weights apply.
	notes []string
}

// newCanaryPlan finds the Deployments to canary: those of the release
// that the previous release had with another pod template. New
// Deployments and unchanged ones are applied like every other object.
func newCanaryPlan(spec pipeline.Canary, next, prev []*unstructured.Unstructured) (*canaryPlan, error) {
	p := &canaryPlan{spec: spec, next: next, prev: prev}
	r, err := newRouter(spec.Traffic, next)
	if err != nil {
		return nil, err
	}
	p.router = r
	for _, d := range ofKind(next, gkDeployment) {
		old := find(prev, gkDeployment, d.GetName())
		if old == nil || !templateChanged(d, old) {
			continue
		}
		p.targets = append(p.targets, p.target(d, old))
	}
	var workloads []*unstructured.Unstructured
	for _, t := range p.targets {
		workloads = append(workloads, t.next)
	}
	p.notes = append(p.notes, configWarnings(workloads, next, prev)...)
	return p, nil
}

func (p *canaryPlan) target(d, old *unstructured.Unstructured) *canaryTarget {
	t := &canaryTarget{next: d, stable: old, total: 1, scaled: scaledByHPA(p.next, d)}
	if n, ok := replicasOf(d); ok {
		t.total = n
	} else if n, ok := replicasOf(old); ok {
		t.total = n
	}
	var routerBackends []string
	if p.router != nil {
		routerBackends = p.router.backends()
	}
	for _, svc := range ofKind(p.next, gkService) {
		sel := serviceSelector(svc)
		if !selects(sel, podLabels(d)) && !selects(sel, podLabels(old)) {
			continue
		}
		t.services = append(t.services, svc)
		if slices.Contains(routerBackends, svc.GetName()) {
			t.backends = append(t.backends, svc.GetName())
		}
	}
	if p.router != nil && !t.routed() {
		p.notes = append(p.notes, fmt.Sprintf("%s: no Service selecting its pods is a backend of %s: its canary's share of traffic is its share of pods",
			kube.RefOf(d), p.router))
	}
	return t
}

// canaryBackends are the Services whose traffic the router splits.
func (p *canaryPlan) canaryBackends() map[string]bool {
	m := map[string]bool{}
	for _, t := range p.targets {
		for _, b := range t.backends {
			m[b] = true
		}
	}
	return m
}

// isTarget tells whether u is the stable Deployment of a target.
func (p *canaryPlan) isTarget(u *unstructured.Unstructured) bool {
	for _, t := range p.targets {
		if u == t.next {
			return true
		}
	}
	return false
}

// startObjects are what is applied before the first step: every object
// of the release but the targets (their stable Deployments keep the old
// template), the Services of routed targets pinned to the stable pods
// (pins maps a Service name to the pod-template-hash of its stable pods),
// the -canary Service copies and the router at weight.
func (p *canaryPlan) startObjects(pins map[string]string, weight int) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range p.next {
		switch {
		case p.isTarget(u):
		case isKind(u, gkService) && pins[u.GetName()] != "":
			out = append(out, withSelector(u, map[string]string{labelPodTemplateHash: pins[u.GetName()]}))
		default:
			out = append(out, u)
		}
	}
	backends := p.canaryBackends()
	for _, svc := range ofKind(p.next, gkService) {
		if backends[svc.GetName()] {
			out = append(out, serviceCopy(svc, canaryName(svc.GetName()), LabelTrack, TrackCanary))
		}
	}
	if p.router != nil && len(backends) > 0 {
		out = append(out, p.router.objects(weight, backends)...)
	}
	return out
}
