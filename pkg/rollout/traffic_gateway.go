package rollout

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// gatewayRouter splits with the backendRef weights of a Gateway API
// HTTPRoute: each backendRef to a stable Service gets weight 100-w and a
// twin backendRef to its -canary copy weight w. Applying the release's own
// HTTPRoute again removes the twins.
type gatewayRouter struct {
	route *unstructured.Unstructured
}

func (r gatewayRouter) String() string { return "HTTPRoute " + r.route.GetName() }

func (r gatewayRouter) backends() []string {
	var out []string
	for _, rule := range items(r.route.Object, "spec", "rules") {
		for _, ref := range items(rule, "backendRefs") {
			if isServiceRef(ref) {
				out = append(out, str(ref, "name"))
			}
		}
	}
	return out
}

// isServiceRef tells whether a backendRef names a core Service (the
// default when group and kind are left out).
func isServiceRef(ref map[string]any) bool {
	group, kind := str(ref, "group"), str(ref, "kind")
	return group == "" && (kind == "" || kind == "Service")
}

// objects returns the HTTPRoute with weights: weight percent to the
// -canary copy of every Service of canaries it reaches.
func (r gatewayRouter) objects(weight int, canaries map[string]bool) []*unstructured.Unstructured {
	route := r.route.DeepCopy()
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	for i, it := range rules {
		rule, ok := it.(map[string]any)
		if !ok {
			continue
		}
		var refs []any
		for _, ref := range items(rule, "backendRefs") {
			name := str(ref, "name")
			if !isServiceRef(ref) || !canaries[name] {
				refs = append(refs, ref)
				continue
			}
			twin := deepCopyMap(ref)
			ref["weight"], twin["weight"], twin["name"] = int64(100-weight), int64(weight), canaryName(name)
			refs = append(refs, ref, twin)
		}
		if refs != nil {
			rule["backendRefs"] = refs
		}
		rules[i] = rule
	}
	_ = unstructured.SetNestedSlice(route.Object, rules, "spec", "rules")
	return []*unstructured.Unstructured{route}
}

func deepCopyMap(m map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: m}).DeepCopy().Object
}

// canaryWeight reads the weight of the first backendRef to a -canary
// Service in an HTTPRoute; -1 when there is none.
func canaryWeight(route *unstructured.Unstructured, service string) int64 {
	for _, rule := range items(route.Object, "spec", "rules") {
		for _, ref := range items(rule, "backendRefs") {
			if str(ref, "name") == canaryName(service) {
				w, _, _ := unstructured.NestedInt64(ref, "weight")
				return w
			}
		}
	}
	return -1
}
