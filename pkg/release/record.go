package release

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Status is the outcome of a release, also kept in the record's status label.
type Status string

// The statuses a release record can have.
const (
	// Progressing: the release is being applied or watched right now (or its
	// process died; see Interrupted).
	Progressing Status = "progressing"
	// Succeeded: rolled out, healthy through the verify window.
	Succeeded Status = "succeeded"
	// Failed: the rollout failed and nothing was undone (e.g. no previous release).
	Failed Status = "failed"
	// RolledBack: the rollout failed and the previous release was restored.
	RolledBack Status = "rolled-back"
	// UndoFailed: the rollout failed and restoring the previous release failed too.
	UndoFailed Status = "undo-failed"
	// Interrupted: the process driving the release went away before an outcome.
	Interrupted Status = "interrupted"
	// Superseded: a later release replaced this successful one.
	Superseded Status = "superseded"
)

// Statuses lists every valid Status.
var Statuses = []Status{Progressing, Succeeded, Failed, RolledBack, UndoFailed, Interrupted, Superseded}

// Valid tells whether s is one of Statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// ByGuard is Record.By for a release that `kubectl promote guard` undid
// after its run had succeeded.
const ByGuard = "guard"

// Artifact types.
const (
	ArtifactImage = "image"
	ArtifactChart = "chart"
)

// Artifact is what a promotion carries from one environment to the next.
type Artifact struct {
	// Type is ArtifactImage or ArtifactChart.
	Type string `json:"type"`
	// Name is the image repository or the chart name.
	Name string `json:"name"`
	// Ref is the full reference: image with tag and/or digest, or chart version.
	Ref string `json:"ref"`
}

// Source is the upstream release a promotion took its artifacts from.
type Source struct {
	Environment string `json:"environment"`
	Revision    int    `json:"revision"`
}

// GateResult is the outcome of one gate (approval, soak…) checked before the release.
type GateResult struct {
	Name    string    `json:"name"`
	Passed  bool      `json:"passed"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// Failure is why a rollout failed, as seen on a pod or workload.
type Failure struct {
	Object    string `json:"object"`
	Container string `json:"container,omitempty"`
	Reason    string `json:"reason"`
	Message   string `json:"message,omitempty"`
	// Detected is when the watch first saw the failing status; with the
	// record's Started it gives the time to detection.
	Detected time.Time `json:"detected,omitzero"`
}

// Record is one release of one environment: what was applied, by whom,
// from where, and how it ended.
type Record struct {
	Pipeline    string `json:"pipeline"`
	Environment string `json:"environment"`
	Namespace   string `json:"namespace"`
	Revision    int    `json:"revision"`
	Status      Status `json:"status"`

	Artifacts []Artifact `json:"artifacts,omitempty"`
	Source    *Source    `json:"source,omitempty"`
	Strategy  string     `json:"strategy,omitempty"`
	// Manifest is the full rendered multi-document YAML. It may contain
	// Secrets: never print it, never put it into an error.
	Manifest  string           `json:"manifest,omitempty"`
	Inventory []kube.ObjectRef `json:"inventory,omitempty"`

	User      string `json:"user,omitempty"`
	Host      string `json:"host,omitempty"`
	CIJobURL  string `json:"ciJobURL,omitempty"`
	GitCommit string `json:"gitCommit,omitempty"`
	Approver  string `json:"approver,omitempty"`

	Started      time.Time `json:"started,omitzero"`
	Finished     time.Time `json:"finished,omitzero"`
	HealthySince time.Time `json:"healthySince,omitzero"`

	Reason      string       `json:"reason,omitempty"`
	Failure     *Failure     `json:"failure,omitempty"`
	DiffSummary string       `json:"diffSummary,omitempty"`
	Gates       []GateResult `json:"gates,omitempty"`
	// Analysis is kept opaque here; the analysis feature owns its schema.
	Analysis []json.RawMessage `json:"analysis,omitempty"`
	// RolledBackTo is the revision restored, for a RolledBack record.
	RolledBackTo int `json:"rolledBackTo,omitempty"`
	// By names what ended a release that its own run had finished, such
	// as ByGuard; empty when the deploying run wrote the outcome.
	By string `json:"by,omitempty"`
	// Hooks is the multi-document YAML of the release's Helm hooks, kept
	// for the rollback hooks of an undo to this release and for `test`.
	// Like Manifest, it may contain Secrets.
	Hooks string `json:"hooks,omitempty"`
	// HookRuns are the hooks run for this release, in order, and how each
	// ended.
	HookRuns []HookRun `json:"hookRuns,omitempty"`
	// Origin is where the environment came from when this release took it
	// over from another tool (a Helm release); nil otherwise.
	Origin *Origin `json:"origin,omitempty"`
}

// Origin is what ran an environment before the tool took it over.
type Origin struct {
	Helm *HelmOrigin `json:"helm,omitempty"`
}

// HelmOrigin is the Helm release whose objects a release took over, as
// Helm's own storage recorded it.
type HelmOrigin struct {
	// Release and Namespace name the Helm release; Revision is its
	// deployed revision.
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	Revision  int    `json:"revision"`
	// Chart is the chart as name-version; AppVersion the chart's.
	Chart      string `json:"chart"`
	AppVersion string `json:"appVersion,omitempty"`
	// Values are the values the release was installed with (helm get
	// values). They may hold secrets: never print them.
	Values json.RawMessage `json:"values,omitempty"`
}

// String names the Helm release without its values: "release shop
// revision 3 (chart shop-0.1.0)".
func (h *HelmOrigin) String() string {
	return fmt.Sprintf("Helm release %s/%s revision %d (chart %s)", h.Namespace, h.Release, h.Revision, h.Chart)
}

// HookRun is one Helm hook run at one event of a release.
type HookRun struct {
	// Hook is the hook object, Kind/namespace/name.
	Hook  string `json:"hook"`
	Event string `json:"event"`
	// Outcome is HookSucceeded or HookFailed.
	Outcome string `json:"outcome"`
	// Reason says why a hook failed: its pod, container and reason.
	Reason   string    `json:"reason,omitempty"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
}

// The outcomes of a HookRun.
const (
	HookSucceeded = "succeeded"
	HookFailed    = "failed"
)
