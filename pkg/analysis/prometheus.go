package analysis

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

var errNoProvider = errors.New("provider must set exactly one of prometheus, web or job")

// DefaultPrometheusTimeout bounds a query when the check sets none.
const DefaultPrometheusTimeout = 10 * time.Second

// prometheus runs an instant query with client_golang's API client: a
// vector is a []float64 (result[0]), a scalar a float64. The address is
// either the API itself or its Service through the apiserver's proxy.
type prometheus struct {
	api     promv1.API
	query   string
	timeout time.Duration
	// where names the address for messages: a URL, or Service/ns/name:port.
	where string
	// proxy is set when the query goes through the apiserver's service proxy.
	proxy *serviceProxy
	// red hides credentials from Secrets in errors.
	red  *diff.Redactor
	warn []string
}

func newPrometheus(ctx context.Context, p *pipeline.PrometheusProvider, vars Vars, clients Clients) (*prometheus, error) {
	prom := &prometheus{query: vars.Expand(p.Query), timeout: DefaultPrometheusTimeout, red: diff.NewRedactor()}
	if p.TimeoutSeconds > 0 {
		prom.timeout = time.Duration(p.TimeoutSeconds) * time.Second
	}
	var cfg promapi.Config
	if p.Service != nil {
		sp, err := newServiceProxy(p.Service, vars, clients.Config)
		if err != nil {
			return nil, err
		}
		prom.proxy, prom.where = sp, sp.String()
		cfg = promapi.Config{Address: sp.address, RoundTripper: sp.transport}
	} else {
		rt, err := prom.authTransport(ctx, p.Auth, vars, clients)
		if err != nil {
			return nil, err
		}
		prom.where = vars.Expand(p.Address)
		cfg = promapi.Config{Address: prom.where, RoundTripper: rt}
	}
	c, err := promapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", prom.where, err)
	}
	prom.api = promv1.NewAPI(c)
	return prom, nil
}

// authTransport is the transport for a direct address, sending the
// credentials of auth. Their values go into red and nowhere else.
func (p *prometheus) authTransport(ctx context.Context, auth *pipeline.PrometheusAuth, vars Vars, clients Clients) (http.RoundTripper, error) {
	rt := promapi.DefaultRoundTripper
	if clients.HTTP != nil && clients.HTTP.Transport != nil {
		rt = clients.HTTP.Transport
	}
	if auth == nil {
		return rt, nil
	}
	if auth.BearerToken != nil {
		token, err := secretValue(ctx, clients.Kube, vars.Namespace, "prometheus.auth.bearerToken", auth.BearerToken.SecretKeyRef)
		if err != nil {
			return nil, err
		}
		p.hide(map[string]any{"token": token})
		return credentials{next: rt, set: func(h http.Header) { h.Set("Authorization", "Bearer "+token) }}, nil
	}
	pass, err := secretValue(ctx, clients.Kube, vars.Namespace, "prometheus.auth.basic.password", auth.Basic.Password.SecretKeyRef)
	if err != nil {
		return nil, err
	}
	p.hide(map[string]any{"password": pass})
	user := auth.Basic.Username
	return credentials{next: rt, set: func(h http.Header) {
		r := http.Request{Header: h}
		r.SetBasicAuth(user, pass)
	}}, nil
}

// credentials sets the Authorization header of each request.
type credentials struct {
	next http.RoundTripper
	set  func(http.Header)
}

func (c credentials) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	c.set(r.Header)
	return c.next.RoundTrip(r)
}

// hide makes red (and, through diff.Known, client-go logs and final
// errors) mask the values.
func (p *prometheus) hide(values map[string]any) {
	p.red = diff.NewRedactor(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "stringData": values}})
}

func (p *prometheus) measure(ctx context.Context) (any, Phase, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	v, warnings, err := p.api.Query(ctx, p.query, time.Time{}, promv1.WithTimeout(p.timeout))
	p.warn = warnings
	if err != nil {
		return nil, "", p.red.Error(p.explain(err))
	}
	out, err := promValue(v)
	if err != nil {
		return nil, "", fmt.Errorf("prometheus %s: query %q: %w", p.where, p.query, err)
	}
	return out, "", nil
}

// warnings are those of the last query, such as PromQL's info
// annotations; they go into the measurement.
func (p *prometheus) warnings() []string { return p.warn }

// explain turns an API client error into one line: Prometheus' own
// error type and message for a query it refused, the apiserver's message
// and a hint when the service proxy refused the request.
func (p *prometheus) explain(err error) error {
	var ref *refusal
	if p.proxy != nil && errors.As(err, &ref) {
		return p.proxy.explain(ref)
	}
	var apiErr *promv1.Error
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("prometheus %s: %w", p.where, unwrapURL(err))
	}
	if apiErr.Type == promv1.ErrClient || apiErr.Type == promv1.ErrServer {
		return fmt.Errorf("prometheus %s: %s: %s", p.where, apiErr.Msg, snippet([]byte(apiErr.Detail)))
	}
	return fmt.Errorf("prometheus %s: query %q: %s: %s", p.where, p.query, apiErr.Type, apiErr.Msg)
}

// promValue turns a query result into a float64 or []float64.
func promValue(v model.Value) (any, error) {
	switch x := v.(type) {
	case *model.Scalar:
		return float64(x.Value), nil
	case model.Vector:
		out := make([]float64, 0, len(x))
		for _, s := range x {
			out = append(out, float64(s.Value))
		}
		return out, nil
	case nil:
		return nil, errors.New("no result")
	}
	return nil, fmt.Errorf("result type %s is not supported; use a query giving a vector or a scalar", v.Type())
}

// snippet shortens a response body for an error message.
func snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
