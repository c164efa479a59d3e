package rollout

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// configRef names a ConfigMap or Secret a pod template reads.
type configRef struct {
	gk   schema.GroupKind
	name string
}

// configRefs lists the ConfigMaps and Secrets the pod template of d reads
// by name: volumes (projected ones too), envFrom and env valueFrom of every
// container and init container. Each appears once, in order.
func configRefs(d *unstructured.Unstructured) []configRef {
	spec, _, _ := unstructured.NestedMap(d.Object, "spec", "template", "spec")
	var out []configRef
	add := func(gk schema.GroupKind, name string) {
		r := configRef{gk, name}
		if name != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, v := range items(spec, "volumes") {
		add(gkConfigMap, str(v, "configMap", "name"))
		add(gkSecret, str(v, "secret", "secretName"))
		for _, src := range items(v, "projected", "sources") {
			add(gkConfigMap, str(src, "configMap", "name"))
			add(gkSecret, str(src, "secret", "name"))
		}
	}
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range items(spec, list) {
			for _, e := range items(c, "envFrom") {
				add(gkConfigMap, str(e, "configMapRef", "name"))
				add(gkSecret, str(e, "secretRef", "name"))
			}
			for _, e := range items(c, "env") {
				add(gkConfigMap, str(e, "valueFrom", "configMapKeyRef", "name"))
				add(gkSecret, str(e, "valueFrom", "secretKeyRef", "name"))
			}
		}
	}
	return out
}

// items returns the maps of the list at path in m.
func items(m map[string]any, path ...string) []map[string]any {
	list, _, _ := unstructured.NestedSlice(m, path...)
	out := make([]map[string]any, 0, len(list))
	for _, it := range list {
		if im, ok := it.(map[string]any); ok {
			out = append(out, im)
		}
	}
	return out
}

func str(m map[string]any, path ...string) string {
	s, _, _ := unstructured.NestedString(m, path...)
	return s
}

// configWarnings names the ConfigMaps and Secrets that change in this
// release under the same name while the pod templates of workloads read
// them by that name. The pods that keep running the old template (the
// stable side of a canary, the active colour) read the new content as soon
// as they restart, or at once for mounted files: the canary or preview
// would not be the only thing running the new configuration.
func configWarnings(workloads, next, prev []*unstructured.Unstructured) []string {
	var out []string
	for _, d := range workloads {
		for _, r := range configRefs(d) {
			n, p := find(next, r.gk, r.name), find(prev, r.gk, r.name)
			if n == nil || p == nil || sameConfig(n, p) {
				continue
			}
			out = append(out, fmt.Sprintf("%s changed in this release under the same name, and the pods of %s read it by name: "+
				"the pods still running the previous release see the new content as soon as they restart (mounted files: at once). "+
				"Give it a content-hashed name (kustomize configMapGenerator/secretGenerator; in Helm, a checksum suffix) so that each side keeps its own",
				kube.RefOf(n), kube.RefOf(d)))
		}
	}
	return out
}

// sameConfig compares the content of two ConfigMaps or Secrets.
func sameConfig(a, b *unstructured.Unstructured) bool {
	for _, f := range []string{"data", "binaryData", "stringData"} {
		va, _, _ := unstructured.NestedFieldNoCopy(a.Object, f)
		vb, _, _ := unstructured.NestedFieldNoCopy(b.Object, f)
		if !sameJSON(va, vb) {
			return false
		}
	}
	return true
}
