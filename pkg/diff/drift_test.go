package diff

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// applyConflict is the apiserver's answer to an apply that conflicts with
// managers whose cause messages are given, one per field.
func applyConflict(causes map[string]string) error {
	st := metav1.Status{Status: metav1.StatusFailure, Code: 409, Reason: metav1.StatusReasonConflict,
		Message: "Apply failed", Details: &metav1.StatusDetails{Name: "web", Group: "apps", Kind: "deployments"}}
	for _, field := range []string{".spec.replicas", `.spec.template.spec.containers[name="web"].image`, ".metadata.labels.tier"} {
		if msg, ok := causes[field]; ok {
			st.Details.Causes = append(st.Details.Causes, metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Message: msg, Field: field})
		}
	}
	return &apierrors.StatusError{ErrStatus: st}
}

// The apiserver writes the manager of an Update with its apiVersion and
// time, and of a subresource with its name; each becomes one (manager,
// fields) pair, in the order of the causes.
func TestAsConflictPairs(t *testing.T) {
	image := `.spec.template.spec.containers[name="web"].image`
	tests := []struct {
		name   string
		causes map[string]string
		want   []Conflict
	}{
		{
			name:   "kubectl set image: an Update with apiVersion and time",
			causes: map[string]string{image: `conflict with "kubectl-set" using apps/v1 at 2026-12-02T04:00:00Z`},
			want:   []Conflict{{Manager: "kubectl-set", Fields: []string{image}}},
		},
		{
			name:   "an apply manager",
			causes: map[string]string{".metadata.labels.tier": `conflict with "helm"`},
			want:   []Conflict{{Manager: "helm", Fields: []string{".metadata.labels.tier"}}},
		},
		{
			name: "a subresource manager and another on two fields",
			causes: map[string]string{
				".spec.replicas":        `conflict with "kubectl-scale" with subresource "scale" using apps/v1`,
				image:                   `conflict with "kubectl-edit" using apps/v1`,
				".metadata.labels.tier": `conflict with "kubectl-scale" using apps/v1`,
			},
			want: []Conflict{
				{Manager: "kubectl-scale", Fields: []string{".spec.replicas", ".metadata.labels.tier"}},
				{Manager: "kubectl-edit", Fields: []string{image}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := AsConflict(webRef, applyConflict(tt.causes))
			if !ok {
				t.Fatal("AsConflict() = false, want a conflict")
			}
			if d := cmp.Diff(tt.want, c.Conflicts); d != "" {
				t.Errorf("conflicts (-want +got):\n%s", d)
			}
		})
	}
}

func TestDriftLine(t *testing.T) {
	image := `.spec.template.spec.containers[name="web"].image`
	tests := []struct {
		name      string
		conflicts []Conflict
		want      string
	}{
		{
			name:      "one field",
			conflicts: []Conflict{{Manager: "kubectl-set", Fields: []string{image}}},
			want: `Deployment/shop/web: drift: ` + image + ` owned by field manager "kubectl-set": ` +
				`apply needs --force-conflicts to take it over`,
		},
		{
			name:      "two managers",
			conflicts: []Conflict{{Manager: "kubectl-scale", Fields: []string{".spec.replicas"}}, {Manager: "kubectl-set", Fields: []string{image}}},
			want: `Deployment/shop/web: drift: .spec.replicas owned by field manager "kubectl-scale"; ` + image +
				` owned by field manager "kubectl-set": apply needs --force-conflicts to take them over`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, DriftLine(Change{Ref: webRef, Conflicts: tt.conflicts})); d != "" {
				t.Errorf("DriftLine() (-want +got):\n%s", d)
			}
		})
	}
}

// A drifted object carries its line in the text output and its conflicts
// in the JSON output; the others carry neither.
func TestDriftOutput(t *testing.T) {
	cs := sampleChangeSet(t)
	drift := []Conflict{{Manager: "kubectl-set", Fields: []string{`.spec.template.spec.containers[name="web"].image`}}}
	for i := range cs.Changes {
		if cs.Changes[i].Ref.Kind == "Deployment" {
			cs.Changes[i].Conflicts = drift
		}
	}
	var text bytes.Buffer
	if err := WriteText(&text, cs, TextOptions{Context: 0}); err != nil {
		t.Fatal(err)
	}
	if got := bytes.Count(text.Bytes(), []byte("apply needs --force-conflicts")); got != 1 {
		t.Errorf("text has %d drift lines, want 1:\n%s", got, text.String())
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, cs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Changes []struct {
			Object    string     `json:"object"`
			Conflicts []Conflict `json:"conflicts"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string][]Conflict{}
	for _, c := range doc.Changes {
		if c.Conflicts != nil {
			got[c.Object] = c.Conflicts
		}
	}
	if d := cmp.Diff(map[string][]Conflict{"Deployment/shop/web": drift}, got); d != "" {
		t.Errorf("JSON conflicts (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Change{cs.Changes[indexOfKind(cs, "Deployment")]}, cs.Conflicted()); d != "" {
		t.Errorf("Conflicted() (-want +got):\n%s", d)
	}
}

func indexOfKind(cs *ChangeSet, kind string) int {
	for i, c := range cs.Changes {
		if c.Ref.Kind == kind {
			return i
		}
	}
	return -1
}
