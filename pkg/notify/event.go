package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Kind is what happened; its values are those a webhook's events filter
// lists in promote.yaml (pipeline.NotifyEvents).
type Kind string

// The kinds of events.
const (
	Started         Kind = "started"
	Paused          Kind = "paused"
	WaitingApproval Kind = "waiting-approval"
	GateBlocked     Kind = "gate-blocked"
	Succeeded       Kind = "succeeded"
	Failed          Kind = "failed"
	RolledBack      Kind = "rolled-back"
	UndoFailed      Kind = "undo-failed"
)

// Outcomes of events that are not a record's status.
const (
	OutcomeBlocked = "blocked"
	OutcomePaused  = "paused"
	OutcomeWaiting = "waiting"
)

// By names the process that sent an event.
const (
	ByCLI   = "kubectl-promote"
	ByGuard = "guard"
)

// Event is one thing that happened to a release of an environment.
type Event struct {
	Kind        Kind   `json:"kind"`
	Pipeline    string `json:"pipeline"`
	Environment string `json:"environment"`
	Namespace   string `json:"namespace,omitempty"`
	// Revision is the release's revision; 0 when none was created (a
	// gate blocked the promotion).
	Revision  int                `json:"revision,omitempty"`
	Strategy  string             `json:"strategy,omitempty"`
	Artifacts []release.Artifact `json:"artifacts,omitempty"`
	// Source is the upstream release a promotion carries.
	Source *release.Source `json:"source,omitempty"`
	// Outcome is the record's status (progressing, succeeded, failed,
	// rolled-back, undo-failed, interrupted) or blocked, paused, waiting.
	Outcome string `json:"outcome"`
	// Reason says why: the failure, the pause, the gate not met.
	Reason string `json:"reason,omitempty"`
	// RolledBackTo is the revision an undo restored.
	RolledBackTo int `json:"rolledBackTo,omitempty"`
	// By is the process that sent the event: ByCLI or ByGuard.
	By string `json:"by"`
	// User, Host and CIJobURL say who runs it, as the lock holder does.
	User     string    `json:"user,omitempty"`
	Host     string    `json:"host,omitempty"`
	CIJobURL string    `json:"ciJobURL,omitempty"`
	Time     time.Time `json:"time"`
}

// FromRecord is an event of kind about rec, sent by by at now. The record
// gives the revision, artifacts, source, outcome, reason and who.
func FromRecord(kind Kind, rec *release.Record, by string, now time.Time) Event {
	return Event{
		Kind: kind, Pipeline: rec.Pipeline, Environment: rec.Environment, Namespace: rec.Namespace,
		Revision: rec.Revision, Strategy: rec.Strategy, Artifacts: rec.Artifacts, Source: rec.Source,
		Outcome: string(rec.Status), Reason: rec.Reason, RolledBackTo: rec.RolledBackTo,
		By: by, User: rec.User, Host: rec.Host, CIJobURL: rec.CIJobURL, Time: now,
	}
}

// WithHolder sets who from the lock holder h.
func (e Event) WithHolder(h release.Holder) Event {
	e.User, e.Host, e.CIJobURL = h.User, h.Host, h.CIJobURL
	return e
}

// Title is one line: "shop/prod revision 7 failed".
func (e Event) Title() string {
	what := e.Pipeline + "/" + e.Environment
	if e.Revision > 0 {
		what += fmt.Sprintf(" revision %d", e.Revision)
	}
	return what + " " + verbs[e.Kind]
}

var verbs = map[Kind]string{
	Started:         "started",
	Paused:          "is paused",
	WaitingApproval: "is waiting for approval",
	GateBlocked:     "is blocked by a gate",
	Succeeded:       "succeeded",
	Failed:          "failed",
	RolledBack:      "was rolled back",
	UndoFailed:      "failed and its undo failed: needs a person",
}

// who reads like the lock holder: "alice@laptop in CI job URL".
func (e Event) who() string {
	var b strings.Builder
	b.WriteString(cmpOr(e.User, "unknown user"))
	if e.Host != "" {
		b.WriteString("@" + e.Host)
	}
	if e.CIJobURL != "" {
		b.WriteString(" in CI job " + e.CIJobURL)
	}
	return b.String()
}

func cmpOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}
