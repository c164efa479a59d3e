package rollout

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Labels the canary and blue-green strategies add to the objects they
// derive from a release. They are part of the derived Deployments'
// selectors, so that a canary or a colour never adopts the pods of another.
const (
	// LabelTrack marks the canary Deployment, its pods and the canary
	// Services and Ingresses; its value is TrackCanary.
	LabelTrack = "promote.kubectl-plugin.dev/track"
	// TrackCanary is the value of LabelTrack on canary objects.
	TrackCanary = "canary"
	// LabelColor marks a blue-green Deployment and its pods: ColorBlue or ColorGreen.
	LabelColor = "promote.kubectl-plugin.dev/color"
	// ColorBlue and ColorGreen are the two colours of a blue-green environment.
	ColorBlue  = "blue"
	ColorGreen = "green"
	// labelPodTemplateHash is the label the Deployment controller puts on
	// the pods of each ReplicaSet; a Service pinned to it selects one
	// ReplicaSet's pods only.
	labelPodTemplateHash = "pod-template-hash"
)

var (
	gkDeployment = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	gkService    = schema.GroupKind{Kind: "Service"}
	gkIngress    = schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}
	gkHTTPRoute  = schema.GroupKind{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"}
	gkConfigMap  = schema.GroupKind{Kind: "ConfigMap"}
	gkSecret     = schema.GroupKind{Kind: "Secret"}
	gkNamespace  = schema.GroupKind{Kind: "Namespace"}
)

func isKind(u *unstructured.Unstructured, gk schema.GroupKind) bool {
	return u.GroupVersionKind().GroupKind() == gk
}

// find returns the object of kind gk named name in objs, or nil.
func find(objs []*unstructured.Unstructured, gk schema.GroupKind, name string) *unstructured.Unstructured {
	for _, u := range objs {
		if isKind(u, gk) && u.GetName() == name {
			return u
		}
	}
	return nil
}

// ofKind returns the objects of kind gk in objs, in order.
func ofKind(objs []*unstructured.Unstructured, gk schema.GroupKind) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range objs {
		if isKind(u, gk) {
			out = append(out, u)
		}
	}
	return out
}

// stringMap reads a map of strings at path; nil when absent.
func stringMap(u *unstructured.Unstructured, path ...string) map[string]string {
	m, _, _ := unstructured.NestedStringMap(u.Object, path...)
	return m
}

// podLabels are the labels of a Deployment's pod template.
func podLabels(d *unstructured.Unstructured) map[string]string {
	return stringMap(d, "spec", "template", "metadata", "labels")
}

// serviceSelector is a Service's selector; nil for a Service without one.
func serviceSelector(svc *unstructured.Unstructured) map[string]string {
	return stringMap(svc, "spec", "selector")
}

// selects tells whether a Service selector picks pods labelled labels. An
// empty selector selects nothing (a Service without a selector has its
// endpoints managed by someone else).
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// replicasOf returns spec.replicas and whether it is set.
func replicasOf(d *unstructured.Unstructured) (int64, bool) {
	n, found, err := unstructured.NestedInt64(d.Object, "spec", "replicas")
	if err != nil || !found {
		f, ok, _ := unstructured.NestedFieldNoCopy(d.Object, "spec", "replicas")
		if fl, isFloat := f.(float64); ok && isFloat {
			return int64(fl), true
		}
		return 0, false
	}
	return n, true
}

// withReplicas returns a copy of the Deployment d running n replicas.
func withReplicas(d *unstructured.Unstructured, n int64) *unstructured.Unstructured {
	d = d.DeepCopy()
	_ = unstructured.SetNestedField(d.Object, n, "spec", "replicas")
	return d
}

// variant returns a copy of the Deployment d named name whose selector,
// pod labels and own labels also carry key=value: a Deployment whose pods
// no other variant of d selects.
func variant(d *unstructured.Unstructured, name, key, value string) *unstructured.Unstructured {
	v := d.DeepCopy()
	v.SetName(name)
	v.SetResourceVersion("")
	v.SetUID("")
	addLabel(v, key, value)
	for _, path := range [][]string{{"spec", "selector", "matchLabels"}, {"spec", "template", "metadata", "labels"}} {
		m := stringMap(v, path...)
		if m == nil {
			m = map[string]string{}
		}
		m[key] = value
		_ = unstructured.SetNestedStringMap(v.Object, m, path...)
	}
	return v
}

// addLabel sets one label on u itself.
func addLabel(u *unstructured.Unstructured, key, value string) {
	l := u.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[key] = value
	u.SetLabels(l)
}

// withSelector returns a copy of the Service svc whose selector also
// carries extra (replacing keys it already has).
func withSelector(svc *unstructured.Unstructured, extra map[string]string) *unstructured.Unstructured {
	svc = svc.DeepCopy()
	sel := serviceSelector(svc)
	if sel == nil {
		sel = map[string]string{}
	}
	maps.Copy(sel, extra)
	_ = unstructured.SetNestedStringMap(svc.Object, sel, "spec", "selector")
	return svc
}

// serviceCopy returns a Service named name like svc whose selector also
// carries key=value, without the fields the cluster allocates per Service
// (cluster IPs, node ports), which a copy cannot share.
func serviceCopy(svc *unstructured.Unstructured, name, key, value string) *unstructured.Unstructured {
	c := withSelector(svc, map[string]string{key: value})
	c.SetName(name)
	c.SetResourceVersion("")
	c.SetUID("")
	addLabel(c, key, value)
	for _, f := range []string{"clusterIP", "clusterIPs", "healthCheckNodePort", "loadBalancerIP"} {
		unstructured.RemoveNestedField(c.Object, "spec", f)
	}
	ports, _, _ := unstructured.NestedSlice(c.Object, "spec", "ports")
	for _, p := range ports {
		if m, ok := p.(map[string]any); ok {
			delete(m, "nodePort")
		}
	}
	if ports != nil {
		_ = unstructured.SetNestedSlice(c.Object, ports, "spec", "ports")
	}
	return c
}

// sameJSON compares two values through their JSON encoding, which ignores
// the differences between integer and float decodings of one number.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// templateChanged tells whether two Deployments run different pod templates.
func templateChanged(a, b *unstructured.Unstructured) bool {
	ta, _, _ := unstructured.NestedFieldNoCopy(a.Object, "spec", "template")
	tb, _, _ := unstructured.NestedFieldNoCopy(b.Object, "spec", "template")
	return !sameJSON(ta, tb)
}

// refName names an object by kind, namespace and name the one way every
// message does (see kube.ObjectRef).
func refName(kind, ns, name string) string {
	return kube.ObjectRef{Kind: kind, Namespace: ns, Name: name}.String()
}

// labelSelector writes a label map as a selector string, keys sorted.
func labelSelector(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}
