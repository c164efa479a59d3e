package diff

import (
	"encoding/json"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// jsonReport is the -o json document.
type jsonReport struct {
	Summary string       `json:"summary"`
	Counts  Counts       `json:"counts"`
	Changes []jsonChange `json:"changes"`
}

// jsonChange is one object: configured objects list their changed fields,
// created ones carry the desired object and deleted ones the live object.
type jsonChange struct {
	Object string         `json:"object"`
	Ref    kube.ObjectRef `json:"ref"`
	Action Action         `json:"action"`
	Fields []FieldChange  `json:"fields,omitempty"`
	// Conflicts are the fields other field managers own, which apply
	// takes over only with --force-conflicts.
	Conflicts []Conflict                 `json:"conflicts,omitempty"`
	Desired   *unstructured.Unstructured `json:"desired,omitempty"`
	Live      *unstructured.Unstructured `json:"live,omitempty"`
}

// WriteJSON writes the change set as one JSON document, for CI and bots:
// the summary and counts, then per object its reference, action and, for
// a configured object, each changed field (path, old, new) and the fields
// other field managers own (conflicts: manager, fields). Secrets are
// as masked as in the ChangeSet.
func WriteJSON(w io.Writer, cs *ChangeSet) error {
	r := jsonReport{Summary: cs.Summary(), Counts: cs.Counts(), Changes: make([]jsonChange, 0, len(cs.Changes))}
	for _, c := range cs.Changes {
		jc := jsonChange{Object: c.Ref.String(), Ref: c.Ref, Action: c.Action, Conflicts: c.Conflicts}
		switch c.Action {
		case Configured:
			jc.Fields = c.Fields
		case Created:
			jc.Desired = c.Desired
		case Deleted:
			jc.Live = c.Live
		}
		r.Changes = append(r.Changes, jc)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
