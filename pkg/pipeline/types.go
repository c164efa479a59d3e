package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// APIVersion is the schema version of promote.yaml this build reads.
const APIVersion = "promote.kubectl-plugin.dev/v1alpha1"

// Kind is the only kind a pipeline file may declare.
const Kind = "Pipeline"

// FileName is the name searched for in the working directory and its parents.
const FileName = "promote.yaml"

// Pipeline is a parsed promote.yaml.
type Pipeline struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`

	// Path is the file the pipeline was read from; relative source paths
	// are resolved against its directory.
	Path string `json:"-"`
	// Lines maps field paths such as "spec.environments[1].from" to their
	// line in Path. Load fills it so that Validate can place each problem;
	// a Pipeline built in code has none and its problems carry no line.
	Lines map[string]int `json:"-"`
}

// Metadata names the pipeline.
type Metadata struct {
	Name string `json:"name"`
}

// Spec lists the environments in promotion order.
type Spec struct {
	Environments []Environment `json:"environments"`
	// Defaults apply to every environment that does not set its own.
	Defaults *Defaults `json:"defaults,omitempty"`
	// Notify sends webhooks about the releases of every environment.
	Notify *Notify `json:"notify,omitempty"`
}

// Defaults holds settings shared by all environments.
type Defaults struct {
	Health  Health `json:"health,omitempty"`
	History int    `json:"history,omitempty"`
}

// Environment is one stage of the chain (dev, staging, prod…).
type Environment struct {
	Name      string   `json:"name"`
	From      string   `json:"from,omitempty"`
	Cluster   Cluster  `json:"cluster,omitempty"`
	Namespace string   `json:"namespace"`
	Source    Source   `json:"source"`
	Strategy  Strategy `json:"strategy,omitempty"`
	Gates     Gates    `json:"gates,omitempty"`
	Health    Health   `json:"health,omitempty"`
	// History is how many release records are kept (default 10).
	History int `json:"history,omitempty"`
	// AllowNamespaces lists namespaces other than Namespace that rendered
	// objects may target.
	AllowNamespaces []string `json:"allowNamespaces,omitempty"`
	// AllowOutsideRepository lets the source's chart, values and overlay
	// paths (and what a kustomization reads) resolve outside the repository
	// root. Off by default: a pull request must not be able to render, and
	// so print, files such as a runner's kubeconfig.
	AllowOutsideRepository bool `json:"allowOutsideRepository,omitempty"`
	// Notify adds to (or, by webhook name, overrides) spec.notify.
	Notify *Notify `json:"notify,omitempty"`
}

// Cluster says where an environment lives.
type Cluster struct {
	// Context is a kubeconfig context; empty means the current one.
	Context string `json:"context,omitempty"`
}

// Source says how an environment is rendered: exactly one of the fields.
type Source struct {
	Kustomize *KustomizeSource `json:"kustomize,omitempty"`
	Helm      *HelmSource      `json:"helm,omitempty"`
	// RenderTimeout bounds one render of the source (default 2m): a
	// template that never ends is bad input, not a hung run.
	RenderTimeout Duration `json:"renderTimeout,omitempty"`
}

// KustomizeSource is a kustomization directory.
type KustomizeSource struct {
	Path string `json:"path"`
}

// HelmSource is a chart — a local directory, a chart of an HTTP chart
// repository, or an OCI artifact — with values layered as `helm` layers
// them.
type HelmSource struct {
	// Chart is a local chart directory, a chart name in Repo, or
	// oci://registry/path/name.
	Chart string `json:"chart"`
	// Repo is the URL of an HTTP chart repository (https://…), or the name
	// of one added with `helm repo add`; Chart is then a chart name in it.
	Repo string `json:"repo,omitempty"`
	// Version is the version of a repository or OCI chart: exact, or a
	// semver range that resolves to one exact version; empty is the newest.
	Version string `json:"version,omitempty"`
	// PlainHTTP reaches an OCI registry over http instead of https, like
	// `helm pull --plain-http`.
	PlainHTTP   bool     `json:"plainHTTP,omitempty"`
	ReleaseName string   `json:"releaseName,omitempty"`
	Values      []string `json:"values,omitempty"`
	// Set, SetString, SetFile and SetJSON are `helm --set`, `--set-string`,
	// `--set-file` and `--set-json`: each entry is one `KEY=VALUE` (a file
	// path for SetFile, JSON text for SetJSON). Helm applies them after the
	// values files in the order setJSON, set, setString, setFile; keys in
	// sorted order.
	Set         map[string]string `json:"set,omitempty"`
	SetString   map[string]string `json:"setString,omitempty"`
	SetFile     map[string]string `json:"setFile,omitempty"`
	SetJSON     map[string]string `json:"setJSON,omitempty"`
	KubeVersion string            `json:"kubeVersion,omitempty"`
	APIVersions []string          `json:"apiVersions,omitempty"`
	// ImagePaths maps an image repository to the values path holding its
	// reference (e.g. "image"), for `--write`; detected when omitted.
	ImagePaths map[string]string `json:"imagePaths,omitempty"`
}

// Strategy is how a release is switched; neither field means rolling.
type Strategy struct {
	Canary    *Canary    `json:"canary,omitempty"`
	BlueGreen *BlueGreen `json:"blueGreen,omitempty"`
	// Analysis runs once a rolling release is healthy, before it counts as
	// succeeded (canary and blue-green have their own hook points).
	Analysis *Analysis `json:"analysis,omitempty"`
}

// Name returns "rolling", "canary" or "blueGreen".
func (s Strategy) Name() string {
	switch {
	case s.Canary != nil:
		return "canary"
	case s.BlueGreen != nil:
		return "blueGreen"
	}
	return "rolling"
}

// Canary runs the new template beside the stable one with stepped weights.
type Canary struct {
	Traffic *Traffic     `json:"traffic,omitempty"`
	Steps   []CanaryStep `json:"steps"`
}

// Traffic chooses the router; nil means replica ratio.
type Traffic struct {
	Nginx      *NginxTraffic      `json:"nginx,omitempty"`
	GatewayAPI *GatewayAPITraffic `json:"gatewayAPI,omitempty"`
}

// NginxTraffic splits with an ingress-nginx canary Ingress.
type NginxTraffic struct {
	Ingress string `json:"ingress"`
}

// GatewayAPITraffic splits with HTTPRoute backendRef weights.
type GatewayAPITraffic struct {
	HTTPRoute string `json:"httpRoute"`
}

// CanaryStep is one step: set a weight, or pause.
type CanaryStep struct {
	Weight *int   `json:"weight,omitempty"`
	Pause  *Pause `json:"pause,omitempty"`
	// Analysis measures the canary at the weight the previous steps set.
	Analysis *Analysis `json:"analysis,omitempty"`
}

// Pause waits for Duration, or for `resume` when Duration is zero.
type Pause struct {
	Duration Duration `json:"duration,omitempty"`
}

// UnmarshalJSON accepts `pause: 30s` as well as `pause: {duration: 30s}` and `pause: {}`.
func (p *Pause) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("pause: %w", err)
		}
		p.Duration = Duration(d)
		return nil
	}
	type plain Pause
	return json.Unmarshal(b, (*plain)(p))
}

// BlueGreen runs the new colour beside the active one and flips a Service.
type BlueGreen struct {
	ActiveService  string   `json:"activeService"`
	PreviewService string   `json:"previewService,omitempty"`
	AutoPromote    *bool    `json:"autoPromote,omitempty"`
	ScaleDownDelay Duration `json:"scaleDownDelay,omitempty"`
	// PrePromotionAnalysis measures the preview before the active Service flips.
	PrePromotionAnalysis *Analysis `json:"prePromotionAnalysis,omitempty"`
	// PostPromotionAnalysis measures the new colour once it is active.
	PostPromotionAnalysis *Analysis `json:"postPromotionAnalysis,omitempty"`
}

// Gates must be met before anything changes in the environment.
type Gates struct {
	Soak Duration `json:"soak,omitempty"`
	// Approval is "required" or empty.
	Approval string `json:"approval,omitempty"`
}

// Health holds the watch's thresholds; zero values take the defaults.
type Health struct {
	// Timeout bounds the whole rollout (default 5m).
	Timeout Duration `json:"timeout,omitempty"`
	// UndoTimeout bounds the undo, separately (default 5m).
	UndoTimeout Duration `json:"undoTimeout,omitempty"`
	// Verify keeps watching after the rollout is complete (default 10s).
	Verify Duration `json:"verify,omitempty"`
	// RestartLimit fails the rollout when a new pod restarts more often (default 2).
	RestartLimit int `json:"restartLimit,omitempty"`
	// UnschedulableGrace is how long a new pod may stay unschedulable (default 30s).
	UnschedulableGrace Duration `json:"unschedulableGrace,omitempty"`
	// Guard is how long after its success a release stays watched by
	// `kubectl promote guard` (default 1h); 0 turns the guard off, so
	// unset (nil) and 0 differ.
	Guard *Duration `json:"guard,omitempty"`
}

// GuardWindow is the resolved Guard: how long a release stays guarded
// after its success, 0 when not at all.
func (h Health) GuardWindow() time.Duration {
	if h.Guard == nil {
		return DefaultGuard
	}
	return h.Guard.D()
}

// Duration is a time.Duration written as "30s", "5m", "1h".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes the duration the way people do: "5m", "1h30m", "30s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "30s" style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// OCIScheme prefixes a chart stored in an OCI registry.
const OCIScheme = "oci://"

// Remote tells whether the chart comes from a chart repository or an OCI
// registry rather than a local directory.
func (h *HelmSource) Remote() bool {
	return h.Repo != "" || strings.HasPrefix(h.Chart, OCIScheme)
}
