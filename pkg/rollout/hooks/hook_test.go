package hooks

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func hook(kind, name string, weight int, events ...string) Hook {
	o := &unstructured.Unstructured{}
	o.SetKind(kind)
	o.SetName(name)
	o.SetNamespace("ns")
	return Hook{Object: o, Weight: weight, Events: events}
}

// TestForOrder: the hooks of one event by weight, then name, then the
// order given (kind order from a render), as Helm's hookByWeight.
func TestForOrder(t *testing.T) {
	all := []Hook{
		hook("ConfigMap", "b", 0, PreUpgrade),
		hook("Job", "z", -5, PreUpgrade, PreInstall),
		hook("Job", "b", 0, PreUpgrade),
		hook("Job", "a", 10, PreUpgrade),
		hook("Job", "a", 0, PostUpgrade),
		hook("Pod", "smoke", 0, TestSuccess),
		hook("Job", "m", 0, Test),
	}
	for _, c := range []struct {
		event string
		want  []string
	}{
		{PreUpgrade, []string{"Job/ns/z", "ConfigMap/ns/b", "Job/ns/b", "Job/ns/a"}},
		{PreInstall, []string{"Job/ns/z"}},
		{PostUpgrade, []string{"Job/ns/a"}},
		{PreRollback, nil},
		{Test, []string{"Job/ns/m", "Pod/ns/smoke"}},
	} {
		t.Run(c.event, func(t *testing.T) {
			var got []string
			for _, h := range For(all, c.event) {
				got = append(got, h.Ref())
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("For(%s) (-want +got):\n%s", c.event, diff)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	for _, c := range []struct {
		name     string
		policies []string
		want     map[string]bool
	}{
		{"none means before-hook-creation", nil, map[string]bool{BeforeHookCreation: true, HookSucceeded: false, HookFailed: false}},
		{"hook-succeeded only", []string{HookSucceeded}, map[string]bool{BeforeHookCreation: false, HookSucceeded: true, HookFailed: false}},
		{"all three", []string{HookFailed, BeforeHookCreation, HookSucceeded}, map[string]bool{BeforeHookCreation: true, HookSucceeded: true, HookFailed: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := Hook{DeletePolicies: c.policies}
			got := map[string]bool{}
			for p := range c.want {
				got[p] = h.policy(p)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
		})
	}
}
