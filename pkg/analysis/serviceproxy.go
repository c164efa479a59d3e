package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

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
	sp.transport = proxyTransport{next: rt}
	return sp, nil
}

// String names the Service like the apiserver's errors do.
func (sp *serviceProxy) String() string {
	return fmt.Sprintf("Service/%s/%s:%s", sp.namespace, sp.name, sp.port)
}

// refusal is the apiserver's own answer when it does not proxy the
// request (403 forbidden, 404 no Service, 503 no endpoint or the
// endpoint unreachable): a metav1.Status, which Prometheus never sends.
type refusal struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

func (r *refusal) Error() string { return r.Message }

// explain says what the refusal means for sp, with a hint.
func (sp *serviceProxy) explain(r *refusal) error {
	msg := fmt.Sprintf("prometheus %s through the apiserver's service proxy: %s", sp, r.Message)
	switch r.Code {
	case http.StatusForbidden:
		msg += fmt.Sprintf("; your kubeconfig's user needs get on services/proxy in namespace %s (see docs/analysis.md)", sp.namespace)
	case http.StatusNotFound:
		msg += "; check prometheus.service's namespace and name"
	case http.StatusServiceUnavailable:
		msg += "; the Service needs a ready endpoint (a pod) serving that port"
	}
	return errors.New(msg)
}

// proxyTransport sends the API client's requests through the service
// proxy. It turns form POSTs into GETs, the query in the URL: a POST
// needs `create` on services/proxy, a GET only `get` (the client itself
// would retry with a GET after a 403, at the cost of a refused request
// per measurement). And it returns the apiserver's refusals as errors:
// the API client would take a 503 Status for a malformed Prometheus
// answer.
type proxyTransport struct{ next http.RoundTripper }

func (p proxyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req, err := asGet(req)
	if err != nil {
		return nil, err
	}
	resp, err := p.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var r refusal
	if json.Unmarshal(body, &r) == nil && r.Kind == "Status" {
		return nil, &r
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// asGet returns a form POST as a GET with the form in the query.
func asGet(req *http.Request) (*http.Request, error) {
	if req.Method != http.MethodPost || req.Body == nil {
		return req, nil
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
	return r, nil
}
