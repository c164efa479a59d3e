package watch

import (
	"strings"
	"time"
)

// Reasons of failures that are ours rather than the cluster's; the others
// carry the cluster's reason (CrashLoopBackOff, FailedCreate, …).
const (
	ReasonTimeout          = "Timeout"
	ReasonRestartLimit     = "RestartLimitExceeded"
	ReasonOOMKilled        = "OOMKilled"
	ReasonUnschedulable    = "Unschedulable"
	ReasonProgressDeadline = "ProgressDeadlineExceeded"
)

// Failure is why a rollout failed: the object, the container if any, the
// reason and the cluster's message. Watch returns it as its error.
type Failure struct {
	// Object is "Kind/namespace/name" ("Kind/name" when cluster-scoped).
	Object string `json:"object"`
	// Container is the failing container of a pod, if any.
	Container string `json:"container,omitempty"`
	// Reason is one CamelCase word: CrashLoopBackOff, OOMKilled, Timeout…
	Reason string `json:"reason"`
	// Message is the cluster's explanation, or ours.
	Message string `json:"message,omitempty"`
	// Observed is when the watch first saw the failing status (for a
	// timed rule: when its grace ran out), so callers can measure the
	// detection latency. Zero for failures built by the pure rules.
	Observed time.Time `json:"observed,omitempty"`
}

// Error reads like "Pod/shop/web-abc: container web: CrashLoopBackOff: back-off 10s …".
func (f *Failure) Error() string {
	parts := []string{f.Object}
	if f.Container != "" {
		parts = append(parts, "container "+f.Container)
	}
	if f.Reason != "" {
		parts = append(parts, f.Reason)
	}
	if f.Message != "" {
		parts = append(parts, f.Message)
	}
	return strings.Join(parts, ": ")
}
