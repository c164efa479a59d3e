package render

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// object is a rendered object and the file it came from, when known.
type object struct {
	*unstructured.Unstructured
	source string
	// defaulted is set when the namespace is the environment's, applied
	// because the object had none.
	defaulted bool
}

// finish post-processes rendered objects the same way for every source:
// namespace, image overrides, duplicates, order, artifacts.
func finish(t target, objs []object, opts Options) (*Result, error) {
	list := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		list[i] = o.Unstructured
	}
	for i, o := range objs {
		objs[i].defaulted = o.GetNamespace() == ""
	}
	applyNamespace(list, t.namespace)
	for i, o := range objs {
		objs[i].defaulted = objs[i].defaulted && o.GetNamespace() != ""
	}
	if err := checkDuplicates(objs); err != nil {
		return nil, err
	}
	overrideImages(list, opts.Images)
	Sort(list)
	return &Result{Objects: list, Images: collectImages(list)}, nil
}

// checkDuplicates refuses two objects with the same identity: the second
// would silently overwrite the first when applied.
func checkDuplicates(objs []object) error {
	seen := make(map[string]object, len(objs))
	var dups []string
	for _, o := range objs {
		key := o.GroupVersionKind().GroupKind().String() + "/" + o.GetNamespace() + "/" + o.GetName()
		first, ok := seen[key]
		if !ok {
			seen[key] = o
			continue
		}
		dups = append(dups, fmt.Sprintf("%s is defined twice%s%s", Ref(o.Unstructured), sources(first.source, o.source), namespaceNote(first, o)))
	}
	if len(dups) == 0 {
		return nil
	}
	return exitcode.With(exitcode.BadInput, fmt.Errorf("duplicate resources: %s", strings.Join(dups, "; ")))
}

func sources(a, b string) string {
	switch {
	case a == "" && b == "":
		return ""
	case a == b:
		return " in " + a
	}
	return fmt.Sprintf(": in %s and in %s", a, b)
}

// Ref names an object the way errors do: Kind/namespace/name, or Kind/name
// when it is cluster-scoped.
func Ref(o *unstructured.Unstructured) string {
	if ns := o.GetNamespace(); ns != "" {
		return o.GetKind() + "/" + ns + "/" + o.GetName()
	}
	return o.GetKind() + "/" + o.GetName()
}

// namespaceNote explains a duplicate that only the environment's namespace
// made one.
func namespaceNote(a, b object) string {
	if a.defaulted == b.defaulted {
		return ""
	}
	return fmt.Sprintf(" (once with namespace %s and once without, which gets the environment's namespace)", a.GetNamespace())
}
