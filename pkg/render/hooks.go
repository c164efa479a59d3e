package render

import (
	"fmt"
	"strconv"
	"strings"

	"helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The Helm hook annotations, as Helm reads them.
const (
	HookAnnotation             = release.HookAnnotation
	HookWeightAnnotation       = release.HookWeightAnnotation
	HookDeletePolicyAnnotation = release.HookDeleteAnnotation
)

// DefaultHookDeletePolicy is the delete policy of a hook that names none,
// as in Helm.
const DefaultHookDeletePolicy = string(release.HookBeforeHookCreation)

// Hook is a Helm hook: an object annotated helm.sh/hook. It is not one of
// Result.Objects: apply runs it at its events (docs/hooks.md).
type Hook struct {
	// Object is the hook's manifest, with the environment's namespace and
	// the promoted images applied like any object's.
	Object *unstructured.Unstructured
	// Events are the lower-cased events of helm.sh/hook, as written
	// ("pre-install", "post-upgrade", "test"…).
	Events []string
	// Weight is helm.sh/hook-weight; a value that is no integer counts
	// as 0, as in Helm.
	Weight int
	// DeletePolicies are helm.sh/hook-delete-policy's values;
	// DefaultHookDeletePolicy when it names none.
	DeletePolicies []string
	// Source is the template the hook came from, when known.
	Source string
}

// Has tells whether h runs at event.
func (h Hook) Has(event string) bool {
	for _, e := range h.Events {
		if e == event {
			return true
		}
	}
	return false
}

// String names the hook: Kind/name (events).
func (h Hook) String() string {
	return fmt.Sprintf("%s/%s (%s)", h.Object.GetKind(), h.Object.GetName(), strings.Join(h.Events, ","))
}

// ParseHook reads the hook annotations of o; ok is false when o is no hook.
// Records keep hooks as manifests; this turns one back into a Hook.
func ParseHook(o *unstructured.Unstructured) (h Hook, ok bool) {
	a := o.GetAnnotations()
	value, ok := a[HookAnnotation]
	if !ok {
		return Hook{}, false
	}
	h = Hook{Object: o, Events: splitList(strings.ToLower(value))}
	h.Weight, _ = strconv.Atoi(strings.TrimSpace(a[HookWeightAnnotation]))
	h.DeletePolicies = splitList(a[HookDeletePolicyAnnotation])
	if len(h.DeletePolicies) == 0 {
		h.DeletePolicies = []string{DefaultHookDeletePolicy}
	}
	return h, true
}

// ParseHooks turns hook manifests back into Hooks in kind order (see
// Sort); objects without the hook annotation are left out.
func ParseHooks(objs []*unstructured.Unstructured) []Hook {
	Sort(objs)
	var out []Hook
	for _, o := range objs {
		if h, ok := ParseHook(o); ok {
			out = append(out, h)
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// finishHooks places the hooks as finish places objects: the environment's
// namespace, the promoted images, apply order.
func finishHooks(t target, objs []object, opts Options) []Hook {
	list := make([]*unstructured.Unstructured, len(objs))
	source := make(map[*unstructured.Unstructured]string, len(objs))
	for i, o := range objs {
		list[i] = o.Unstructured
		source[o.Unstructured] = o.source
	}
	applyNamespace(list, t.namespace)
	overrideImages(list, opts.Images)
	hooks := ParseHooks(list)
	for i := range hooks {
		hooks[i].Source = source[hooks[i].Object]
	}
	return hooks
}

// hookRuns says who runs a hook of events; "" for none of ours.
func hookRuns(events []string) string {
	for _, e := range events {
		switch e {
		case "pre-install", "post-install", "pre-upgrade", "post-upgrade", "pre-rollback", "post-rollback":
			return "apply runs it"
		}
	}
	for _, e := range events {
		if e == "test" || e == "test-success" {
			return "`kubectl promote test` runs it"
		}
	}
	return ""
}

// hookWarnings names the hooks left out of the render and who runs each.
func hookWarnings(hooks []Hook) []string {
	var out []string
	for _, h := range hooks {
		who := hookRuns(h.Events)
		if who == "" {
			who = "kubectl-promote never runs it (it has no uninstall)"
		}
		out = append(out, fmt.Sprintf("helm hook %s in %s is not rendered: %s", h, h.Source, who))
	}
	return out
}
