package diff

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// LastAppliedAnnotation is where client-side `kubectl apply` keeps the
// whole applied object — Secret values included.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// noise lists the fields the server writes for its own bookkeeping. They
// differ between any live object and its dry-run (or are unknowable before
// creation) without saying anything about what applying would change.
var noise = [][]string{
	{"metadata", "managedFields"},
	{"metadata", "resourceVersion"},
	{"metadata", "uid"},
	{"metadata", "generation"},
	{"metadata", "creationTimestamp"},
	{"metadata", "selfLink"},
	{"status"},
}

// Normalize returns a copy of u without server bookkeeping: managedFields,
// resourceVersion, uid, generation, creationTimestamp, status and the
// last-applied annotation. Annotations written by controllers, such as
// deployment.kubernetes.io/revision, are kept: a dry-run starts from the
// live object, so they appear on both sides and never show as a change,
// while removing them would hide a render that sets them. A nil u gives nil.
func Normalize(u *unstructured.Unstructured) *unstructured.Unstructured {
	if u == nil {
		return nil
	}
	out := u.DeepCopy()
	for _, path := range noise {
		unstructured.RemoveNestedField(out.Object, path...)
	}
	if ann := out.GetAnnotations(); ann != nil {
		delete(ann, LastAppliedAnnotation)
		if len(ann) == 0 {
			ann = nil
		}
		out.SetAnnotations(ann)
	}
	if md, ok := out.Object["metadata"].(map[string]any); ok && len(md) == 0 {
		delete(out.Object, "metadata")
	}
	return out
}
