package analysis

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"k8s.io/client-go/rest"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// serviceProxy reaches a Service through the apiserver's service proxy,
// /api/v1/namespaces/NS/services/[SCHEME:]NAME:PORT/proxy/, with the
// kubeconfig's own credentials: a CI runner that can reach the apiserver
// but not the cluster network can still query an in-cluster Prometheus.
type serviceProxy struct {
	namespace, name, port string
	// address is the proxy URL, the API client's base address.
	address   string
	transport http.RoundTripper
}

func newServiceProxy(s *pipeline.ServiceRef, vars Vars, cfg *rest.Config) (*serviceProxy, error) {
	sp := &serviceProxy{namespace: vars.Expand(s.Namespace), name: vars.Expand(s.Name), port: s.Port.String()}
	if sp.namespace == "" {
		sp.namespace = vars.Namespace
	}
	if cfg == nil {
		return nil, fmt.Errorf("prometheus %s: no cluster client", sp)
	}
	base, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", sp, err)
	}
	target := sp.name + ":" + sp.port
	if s.Scheme != "" {
		target = s.Scheme + ":" + target
	}
	elems := []string{"api/v1/namespaces", sp.namespace, "services", target, "proxy"}
	if p := strings.Trim(s.Path, "/"); p != "" {
		elems = append(elems, p)
	}
	sp.address = base.JoinPath(elems...).String()
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", sp, err)
	}
	sp.transport = getOnly{next: rt}
	return sp, nil
}

// String names the Service like the apiserver's errors do.
func (sp *serviceProxy) String() string {
	return fmt.Sprintf("Service/%s/%s:%s", sp.namespace, sp.name, sp.port)
}

// status is the part of a metav1.Status the apiserver answers with when
// it refuses to proxy (403 forbidden, 404 no Service, 503 no endpoints).
type status struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

// explain reads the apiserver's own refusal out of an API client error;
// nil when the answer came from Prometheus.
func (sp *serviceProxy) explain(apiErr *promv1.Error) error {
	var st status
	if json.Unmarshal([]byte(apiErr.Detail), &st) != nil || st.Kind != "Status" {
		return nil
	}
	msg := fmt.Sprintf("prometheus %s through the apiserver's service proxy: %s", sp, st.Message)
	switch st.Code {
	case http.StatusForbidden:
		msg += fmt.Sprintf("; your kubeconfig's user needs get on services/proxy in namespace %s (see docs/analysis.md)", sp.namespace)
	case http.StatusNotFound:
		msg += "; check prometheus.service's namespace and name"
	case http.StatusServiceUnavailable:
		msg += "; the Service needs a ready endpoint (a pod, or an EndpointSlice entry naming one) on that port"
	}
	return errors.New(msg)
}

// getOnly sends the API client's form POSTs as GETs, the query in the
// URL: through the service proxy a POST needs `create` on
// services/proxy, a GET only `get`. (The client itself would retry with a
// GET after a 403, at the cost of a refused request per measurement.)
type getOnly struct{ next http.RoundTripper }

func (g getOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.Body == nil {
		return g.next.RoundTrip(req)
	}
	form, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	u := *req.URL
	if u.RawQuery != "" && len(form) > 0 {
		u.RawQuery += "&"
	}
	u.RawQuery += string(form)
	r.URL, r.Method, r.Body, r.GetBody, r.ContentLength = &u, http.MethodGet, nil, nil, 0
	r.Header.Del("Content-Type")
	return g.next.RoundTrip(r)
}
