package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Where a scaffolded environment's namespace came from (LayoutEnv.NamespaceFrom).
const (
	NamespaceFromObject   = "the overlay's Namespace object"
	NamespaceFromObjects  = "namespace: in the overlay or its bases"
	NamespaceFromInvented = "invented <app>-<env>"
)

// NamespaceOf reads the namespace an overlay sets from its rendered
// objects, rendered without any namespace of ours: the one Namespace
// object it holds, else the one namespace all its namespaced objects
// carry (kustomize's `namespace:`, wherever in its bases it is set). ns is
// empty when the overlay sets none or several; from says which, or why
// not, for the summary.
func NamespaceOf(objs []*unstructured.Unstructured) (ns, from string) {
	var namespaceObjects []string
	seen := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.GroupVersionKind().Group == "" {
			namespaceObjects = append(namespaceObjects, o.GetName())
		}
		if n := o.GetNamespace(); n != "" {
			seen[n] = true
		}
	}
	if len(namespaceObjects) == 1 {
		return namespaceObjects[0], NamespaceFromObject
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	switch {
	case len(namespaceObjects) > 1:
		slices.Sort(namespaceObjects)
		return "", fmt.Sprintf("%s: the overlay holds several Namespace objects (%s)", NamespaceFromInvented, strings.Join(namespaceObjects, ", "))
	case len(names) == 1:
		return names[0], NamespaceFromObjects
	case len(names) > 1:
		return "", fmt.Sprintf("%s: the overlay's objects are in several namespaces (%s)", NamespaceFromInvented, strings.Join(names, ", "))
	}
	return "", NamespaceFromInvented + ": the overlay sets none"
}
