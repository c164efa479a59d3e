package pipeline

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Analysis is a set of checks measured during a rollout (issue 8). Its
// fields follow Argo Rollouts' AnalysisTemplate metrics so that their users
// read it the same way.
type Analysis struct {
	Checks []Check `json:"checks"`
}

// Check is one metric: a provider measured Count times every Interval,
// each result judged by SuccessCondition and FailureCondition.
type Check struct {
	Name     string   `json:"name"`
	Provider Provider `json:"provider"`
	// Interval is the time between measurements (default 0: back to back).
	Interval Duration `json:"interval,omitempty"`
	// Count is how many measurements are taken (default 1).
	Count int `json:"count,omitempty"`
	// InitialDelay waits before the first measurement.
	InitialDelay Duration `json:"initialDelay,omitempty"`
	// SuccessCondition and FailureCondition are expressions over `result`,
	// such as `result < 0.05` or `result[0] >= 0.95`.
	SuccessCondition string `json:"successCondition,omitempty"`
	FailureCondition string `json:"failureCondition,omitempty"`
	// FailureLimit is how many failed measurements are tolerated (default 0).
	FailureLimit int `json:"failureLimit,omitempty"`
	// InconclusiveLimit is how many inconclusive measurements are tolerated (default 0).
	InconclusiveLimit int `json:"inconclusiveLimit,omitempty"`
	// ConsecutiveErrorLimit is how many measurement errors in a row are
	// tolerated (default 4, as in Argo Rollouts).
	ConsecutiveErrorLimit *int `json:"consecutiveErrorLimit,omitempty"`
}

// Provider says what a check measures: exactly one of the fields.
type Provider struct {
	Prometheus *PrometheusProvider `json:"prometheus,omitempty"`
	Web        *WebProvider        `json:"web,omitempty"`
	Job        *JobProvider        `json:"job,omitempty"`
}

// PrometheusProvider runs an instant query against a Prometheus HTTP API,
// reached at Address or, through the apiserver, at Service.
type PrometheusProvider struct {
	// Address is the API's base URL as seen from where the CLI runs, e.g.
	// http://prometheus.example.com:9090.
	Address string `json:"address,omitempty"`
	// Service is an in-cluster Service reached through the apiserver's
	// service proxy with the kubeconfig's own credentials; set it instead
	// of Address.
	Service *ServiceRef `json:"service,omitempty"`
	Query   string      `json:"query"`
	// TimeoutSeconds bounds each query (default 10).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// Auth sends credentials read from Secrets; with Address only.
	Auth *PrometheusAuth `json:"auth,omitempty"`
}

// ServiceRef names a port of a Service, as the apiserver's service proxy
// takes it: /api/v1/namespaces/NAMESPACE/services/[SCHEME:]NAME:PORT/proxy/PATH.
type ServiceRef struct {
	// Namespace defaults to the environment's namespace.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Port is the Service port's number or name.
	Port intstr.IntOrString `json:"port"`
	// Scheme is http (default) or https.
	Scheme string `json:"scheme,omitempty"`
	// Path prefixes the API, e.g. /prometheus for --web.route-prefix.
	Path string `json:"path,omitempty"`
}

// PrometheusAuth is one of a bearer token or basic authentication, with
// the secret part read from a Secret in the environment's namespace.
type PrometheusAuth struct {
	// BearerToken is sent as "Authorization: Bearer TOKEN".
	BearerToken *HeaderValueRef `json:"bearerToken,omitempty"`
	Basic       *BasicAuth      `json:"basic,omitempty"`
}

// BasicAuth is HTTP basic authentication.
type BasicAuth struct {
	Username string         `json:"username"`
	Password HeaderValueRef `json:"password"`
}

// WebProvider calls a URL and selects a value from its JSON answer.
type WebProvider struct {
	URL    string `json:"url"`
	Method string `json:"method,omitempty"`
	Body   string `json:"body,omitempty"`
	// JSONPath selects the result with client-go's JSONPath, e.g.
	// "$.data.errorRate", "{$.items[0]}" or "$.items[?(@.name=='web')].rate";
	// empty means the whole document (see ParseJSONPath).
	JSONPath       string      `json:"jsonPath,omitempty"`
	Headers        []WebHeader `json:"headers,omitempty"`
	TimeoutSeconds int         `json:"timeoutSeconds,omitempty"`
}

// WebHeader is a request header, given or read from a Secret.
type WebHeader struct {
	Name      string          `json:"name"`
	Value     string          `json:"value,omitempty"`
	ValueFrom *HeaderValueRef `json:"valueFrom,omitempty"`
}

// HeaderValueRef reads a header value from the cluster.
type HeaderValueRef struct {
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`
}

// SecretKeyRef names a key of a Secret in the environment's namespace.
type SecretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// JobProvider runs a Kubernetes Job; it passes when the Job completes.
type JobProvider struct {
	// Spec is a batch/v1 JobSpec.
	Spec json.RawMessage `json:"spec"`
}
