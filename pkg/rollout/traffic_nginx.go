package rollout

import (
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ingress-nginx canary annotations
// (kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#canary).
const (
	AnnotationNginxCanary       = "nginx.ingress.kubernetes.io/canary"
	AnnotationNginxCanaryWeight = "nginx.ingress.kubernetes.io/canary-weight"
	annotationIngressClass      = "kubernetes.io/ingress.class"
)

// nginxRouter splits with a second Ingress, <ingress>-canary, that
// ingress-nginx merges into the first: same hosts and paths, backends
// <service>-canary, and a canary-weight in percent.
type nginxRouter struct {
	ingress *unstructured.Unstructured
}

func (r nginxRouter) String() string { return "Ingress " + r.ingress.GetName() }

func (r nginxRouter) backends() []string {
	var out []string
	add := func(m map[string]any) {
		if n := str(m, "service", "name"); n != "" {
			out = append(out, n)
		}
	}
	if b, ok, _ := unstructured.NestedMap(r.ingress.Object, "spec", "defaultBackend"); ok {
		add(b)
	}
	for _, rule := range items(r.ingress.Object, "spec", "rules") {
		for _, p := range items(rule, "http", "paths") {
			b, _, _ := unstructured.NestedMap(p, "backend")
			add(b)
		}
	}
	return out
}

// objects returns the canary Ingress: only the rules and paths reaching a
// Service of canaries, pointed at its -canary copy; the ingress class and
// TLS of the original (ingress-nginx ignores the other annotations of a
// canary Ingress, see argo-rollouts' nginx router for the same choice).
func (r nginxRouter) objects(weight int, canaries map[string]bool) []*unstructured.Unstructured {
	src := r.ingress
	c := &unstructured.Unstructured{Object: map[string]any{"apiVersion": src.GetAPIVersion(), "kind": src.GetKind()}}
	c.SetName(canaryName(src.GetName()))
	c.SetNamespace(src.GetNamespace())
	c.SetLabels(src.GetLabels())
	addLabel(c, LabelTrack, TrackCanary)
	ann := map[string]string{AnnotationNginxCanary: "true", AnnotationNginxCanaryWeight: strconv.Itoa(weight)}
	if class, ok := src.GetAnnotations()[annotationIngressClass]; ok {
		ann[annotationIngressClass] = class
	}
	c.SetAnnotations(ann)
	spec := map[string]any{}
	for _, f := range []string{"ingressClassName", "tls"} {
		if v, ok, _ := unstructured.NestedFieldCopy(src.Object, "spec", f); ok {
			spec[f] = v
		}
	}
	if b, ok, _ := unstructured.NestedMap(src.Object, "spec", "defaultBackend"); ok && retarget(b, canaries) {
		spec["defaultBackend"] = b
	}
	if rules := canaryRules(src, canaries); len(rules) > 0 {
		spec["rules"] = rules
	}
	c.Object["spec"] = spec
	return []*unstructured.Unstructured{c}
}

// canaryRules copies the rules of ing keeping only the paths whose
// backend Service is in canaries, retargeted.
func canaryRules(ing *unstructured.Unstructured, canaries map[string]bool) []any {
	rules, _, _ := unstructured.NestedSlice(ing.Object, "spec", "rules")
	var out []any
	for _, it := range rules {
		rule, ok := it.(map[string]any)
		if !ok {
			continue
		}
		var paths []any
		for _, p := range items(rule, "http", "paths") {
			if b, _, _ := unstructured.NestedMap(p, "backend"); retarget(b, canaries) {
				p["backend"] = b
				paths = append(paths, p)
			}
		}
		if len(paths) > 0 {
			_ = unstructured.SetNestedSlice(rule, paths, "http", "paths")
			out = append(out, rule)
		}
	}
	return out
}

// retarget points an Ingress backend at the -canary copy of its Service
// when that Service is in canaries, and says whether it did.
func retarget(backend map[string]any, canaries map[string]bool) bool {
	name := str(backend, "service", "name")
	if !canaries[name] {
		return false
	}
	_ = unstructured.SetNestedField(backend, canaryName(name), "service", "name")
	return true
}
