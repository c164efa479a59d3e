package hooks

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The hook events kubectl-promote runs (Helm's names).
const (
	PreInstall   = "pre-install"
	PostInstall  = "post-install"
	PreUpgrade   = "pre-upgrade"
	PostUpgrade  = "post-upgrade"
	PreRollback  = "pre-rollback"
	PostRollback = "post-rollback"
	Test         = "test"
	// TestSuccess is Helm 2's name of Test, which Helm 3 still runs.
	TestSuccess = "test-success"
)

// The delete policies (helm.sh/hook-delete-policy).
const (
	BeforeHookCreation = "before-hook-creation"
	HookSucceeded      = "hook-succeeded"
	HookFailed         = "hook-failed"
)

// Hook is one hook object and its annotations, parsed (render.Hook).
type Hook struct {
	Object *unstructured.Unstructured
	// Events are lower-case event names.
	Events []string
	Weight int
	// DeletePolicies are the delete policies; none means
	// BeforeHookCreation.
	DeletePolicies []string
}

// Ref names the hook object: Kind/namespace/name.
func (h Hook) Ref() string {
	if ns := h.Object.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s/%s/%s", h.Object.GetKind(), ns, h.Object.GetName())
	}
	return h.Object.GetKind() + "/" + h.Object.GetName()
}

func (h Hook) has(event string) bool {
	return slices.Contains(h.Events, event) || (event == Test && slices.Contains(h.Events, TestSuccess))
}

func (h Hook) policy(p string) bool {
	if len(h.DeletePolicies) == 0 {
		return p == BeforeHookCreation
	}
	return slices.Contains(h.DeletePolicies, p)
}

// For returns the hooks of event in the order Helm runs them: by weight,
// then by name, and for equal names in the order given (which is kind
// order when they come from a render).
func For(hooks []Hook, event string) []Hook {
	var out []Hook
	for _, h := range hooks {
		if h.has(event) {
			out = append(out, h)
		}
	}
	slices.SortStableFunc(out, func(a, b Hook) int {
		if a.Weight != b.Weight {
			return a.Weight - b.Weight
		}
		return strings.Compare(a.Object.GetName(), b.Object.GetName())
	})
	return out
}
