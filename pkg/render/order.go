package render

import (
	"sort"

	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kindRank orders kinds for applying: Namespaces, then CRDs (so that their
// custom resources can follow), then Helm's install order; kinds it does not
// know come last, alphabetically.
var kindRank = func() map[string]int {
	r := map[string]int{"Namespace": 0, "CustomResourceDefinition": 1}
	for i, k := range releaseutil.InstallOrder {
		if _, ok := r[k]; !ok {
			r[k] = 2 + i
		}
	}
	return r
}()

// Sort puts objs in apply order: by kind rank, then namespace, name, and
// API group (for two kinds of the same name).
func Sort(objs []*unstructured.Unstructured) {
	sort.SliceStable(objs, func(i, j int) bool { return less(objs[i], objs[j]) })
}

func less(a, b *unstructured.Unstructured) bool {
	ka, kb := a.GetKind(), b.GetKind()
	ra, okA := kindRank[ka]
	rb, okB := kindRank[kb]
	switch {
	case okA && okB && ra != rb:
		return ra < rb
	case okA != okB:
		return okA
	case ka != kb:
		return ka < kb
	}
	if a.GetNamespace() != b.GetNamespace() {
		return a.GetNamespace() < b.GetNamespace()
	}
	if a.GetName() != b.GetName() {
		return a.GetName() < b.GetName()
	}
	return a.GetAPIVersion() < b.GetAPIVersion()
}
