package diff

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Action says what applying the render would do to one object.
type Action string

// The actions of a ChangeSet.
const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	Deleted    Action = "deleted"
)

// Change is the diff of one object.
type Change struct {
	Ref    kube.ObjectRef `json:"ref"`
	Action Action         `json:"action"`
	// Live is the object in the cluster, nil when it is created.
	Live *unstructured.Unstructured `json:"live,omitempty"`
	// Desired is the server-side apply dry-run result (or, for an object in
	// a namespace or of a kind the same render creates, the rendered object),
	// nil when the object is deleted.
	Desired *unstructured.Unstructured `json:"desired,omitempty"`
	// Fields lists the changed leaves of a configured object.
	Fields []FieldChange `json:"fields,omitempty"`
	// Conflicts are the fields other field managers own that the change
	// takes over (see Options.Drift): apply needs --force-conflicts.
	Conflicts []Conflict `json:"conflicts,omitempty"`
}

// FieldChange is one changed leaf: Old is absent when the field is added,
// New when it is removed.
type FieldChange struct {
	Path string `json:"path"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

// Counts is the number of changes per action.
type Counts struct {
	Created    int `json:"create"`
	Configured int `json:"change"`
	Deleted    int `json:"delete"`
	Unchanged  int `json:"unchanged"`
}

// ChangeSet is the result of a Diff: one Change per rendered object plus one
// per deleted object, in a deterministic order (dependencies first).
type ChangeSet struct {
	Changes []Change `json:"changes"`
}

// Counts counts the changes per action.
func (cs *ChangeSet) Counts() Counts {
	var n Counts
	for _, c := range cs.Changes {
		switch c.Action {
		case Created:
			n.Created++
		case Configured:
			n.Configured++
		case Deleted:
			n.Deleted++
		case Unchanged:
			n.Unchanged++
		}
	}
	return n
}

// Summary returns "2 to create, 3 to change, 1 to delete, 40 unchanged".
func (cs *ChangeSet) Summary() string {
	n := cs.Counts()
	return fmt.Sprintf("%d to create, %d to change, %d to delete, %d unchanged",
		n.Created, n.Configured, n.Deleted, n.Unchanged)
}

// Has reports whether any change has action a.
func (cs *ChangeSet) Has(a Action) bool {
	return slices.ContainsFunc(cs.Changes, func(c Change) bool { return c.Action == a })
}

// HasDifferences reports whether applying would change anything.
func (cs *ChangeSet) HasDifferences() bool {
	return cs.Has(Created) || cs.Has(Configured) || cs.Has(Deleted)
}

// Conflicted returns the changes that take over fields other field
// managers own (see Options.Drift).
func (cs *ChangeSet) Conflicted() []Change {
	var out []Change
	for _, c := range cs.Changes {
		if len(c.Conflicts) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// sort orders the changes deterministically.
func (cs *ChangeSet) sort() {
	slices.SortStableFunc(cs.Changes, func(a, b Change) int { return compareRefs(a.Ref, b.Ref) })
}
