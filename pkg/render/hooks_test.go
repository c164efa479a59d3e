package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestParseHook(t *testing.T) {
	for _, c := range []struct {
		name        string
		annotations map[string]string
		want        Hook
		ok          bool
	}{
		{"no hook", map[string]string{"a": "b"}, Hook{}, false},
		{"defaults", map[string]string{HookAnnotation: "pre-upgrade"},
			Hook{Events: []string{"pre-upgrade"}, DeletePolicies: []string{"before-hook-creation"}}, true},
		{"events, weight and policies", map[string]string{
			HookAnnotation: " Pre-Install, pre-upgrade ", HookWeightAnnotation: " -5 ",
			HookDeletePolicyAnnotation: "hook-succeeded, hook-failed",
		}, Hook{Events: []string{"pre-install", "pre-upgrade"}, Weight: -5, DeletePolicies: []string{"hook-succeeded", "hook-failed"}}, true},
		{"weight that is no integer counts as 0, as in helm", map[string]string{HookAnnotation: "post-upgrade", HookWeightAnnotation: "first"},
			Hook{Events: []string{"post-upgrade"}, DeletePolicies: []string{"before-hook-creation"}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := &unstructured.Unstructured{Object: map[string]interface{}{"kind": "Job", "metadata": map[string]interface{}{"name": "x"}}}
			o.SetAnnotations(c.annotations)
			got, ok := ParseHook(o)
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if diff := cmp.Diff(c.want, got, cmpopts.IgnoreFields(Hook{}, "Object")); diff != "" {
				t.Errorf("ParseHook (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHookWarningsSayWhoRunsIt(t *testing.T) {
	hook := func(events ...string) Hook {
		o := &unstructured.Unstructured{Object: map[string]interface{}{"kind": "Job", "metadata": map[string]interface{}{"name": "j"}}}
		return Hook{Object: o, Events: events, Source: "t.yaml"}
	}
	got := hookWarnings([]Hook{hook("pre-upgrade"), hook("test"), hook("post-delete")})
	want := []string{
		"helm hook Job/j (pre-upgrade) in t.yaml is not rendered: apply runs it",
		"helm hook Job/j (test) in t.yaml is not rendered: `kubectl promote test` runs it",
		"helm hook Job/j (post-delete) in t.yaml is not rendered: kubectl-promote never runs it (it has no uninstall)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hookWarnings (-want +got):\n%s", diff)
	}
}
