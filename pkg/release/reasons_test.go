package release

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
)

// TestRedactReasons: a reason and failure message that echo a Secret
// value the process knows are stored and read back without it.
func TestRedactReasons(t *testing.T) {
	diff.Learn(&unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
		"stringData": map[string]any{"pw": "reason-canary-77"}}})
	r := &Record{Reason: `admission webhook denied: pw "reason-canary-77"`,
		Failure:  &Failure{Object: "Pod/ns/p", Reason: "CreateContainerConfigError", Message: "bad cmVhc29uLWNhbmFyeS03Nw== reason-canary-77"},
		HookRuns: []HookRun{{Hook: "Job/ns/migrate", Event: "pre-upgrade", Outcome: HookFailed, Reason: "Job/ns/migrate: reason-canary-77"}}}
	redactReasons(r)
	if want := `admission webhook denied: pw "***"`; r.Reason != want {
		t.Errorf("Reason = %q, want %q", r.Reason, want)
	}
	if want := "bad *** ***"; r.Failure.Message != want {
		t.Errorf("Failure.Message = %q, want %q", r.Failure.Message, want)
	}
	if want := "Job/ns/migrate: ***"; r.HookRuns[0].Reason != want {
		t.Errorf("HookRuns[0].Reason = %q, want %q", r.HookRuns[0].Reason, want)
	}
}
