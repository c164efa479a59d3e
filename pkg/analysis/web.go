package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// DefaultWebTimeout bounds a web check's request when the check sets none.
const DefaultWebTimeout = 10 * time.Second

// maxRedirects is net/http's own limit, kept when we check redirects.
const maxRedirects = 10

// web calls a URL and selects its result from the JSON answer. Header
// values stay in headers and go nowhere else: no message, log or record
// carries them, even when the endpoint echoes them in its answer, and a
// redirect that would carry them to another host or over plain http is
// refused.
type web struct {
	http     *http.Client
	method   string
	url      string
	body     string
	path     *jsonpath.JSONPath
	headers  http.Header
	timeout  time.Duration
	jsonPath string
	// secretHeaders names the headers whose values come from Secrets;
	// red hides those values.
	secretHeaders []string
	red           *diff.Redactor
}

func newWeb(ctx context.Context, w *pipeline.WebProvider, vars Vars, hc *http.Client, kube kubernetes.Interface) (*web, error) {
	path, err := pipeline.ParseJSONPath(w.JSONPath)
	if err != nil {
		return nil, err
	}
	p := &web{method: strings.ToUpper(w.Method), url: vars.Expand(w.URL), body: vars.Expand(w.Body),
		path: path, jsonPath: w.JSONPath, headers: http.Header{}, timeout: DefaultWebTimeout}
	if p.method == "" {
		p.method = http.MethodGet
	}
	if w.TimeoutSeconds > 0 {
		p.timeout = time.Duration(w.TimeoutSeconds) * time.Second
	}
	secrets := map[string]any{}
	for _, h := range w.Headers {
		v, err := headerValue(ctx, h, vars, kube)
		if err != nil {
			return nil, err
		}
		p.headers.Add(h.Name, v)
		if h.ValueFrom != nil && h.ValueFrom.SecretKeyRef != nil {
			p.secretHeaders = append(p.secretHeaders, h.Name)
			secrets[h.Name] = v
			if f := strings.Fields(v); len(f) > 1 { // "Bearer TOKEN": TOKEN alone may be echoed
				secrets[h.Name+"-credentials"] = f[len(f)-1]
			}
		}
	}
	// The Redactor also adds them to diff.Known: client-go logs and
	// final errors hide them too.
	p.red = diff.NewRedactor(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "stringData": secrets}})
	p.http = p.client(hc)
	return p, nil
}

// client returns hc with p's redirect rule, keeping hc's own rule.
func (p *web) client(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := p.checkRedirect(req, via); err != nil {
			return err
		}
		if hc.CheckRedirect != nil {
			return hc.CheckRedirect(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &c
}

// checkRedirect refuses a redirect that would send headers from Secrets
// to another host (or port) or from https to http. net/http forwards
// custom headers on every redirect; it drops only Authorization and
// cookies, and only across domains.
func (p *web) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(p.secretHeaders) == 0 || len(via) == 0 {
		return nil
	}
	from := via[0].URL
	switch {
	case req.URL.Host != from.Host:
		return fmt.Errorf("redirect to another host (%s) refused: the request carries headers from Secrets (%s); "+
			"set url to the final address", req.URL.Host, strings.Join(p.secretHeaders, ", "))
	case from.Scheme == "https" && req.URL.Scheme != "https":
		return fmt.Errorf("redirect from https to %s refused: the request carries headers from Secrets (%s); "+
			"set url to the final https address", req.URL.Scheme, strings.Join(p.secretHeaders, ", "))
	}
	return nil
}

// headerValue reads a header from its Secret; errors name the Secret and
// key, never the value.
func headerValue(ctx context.Context, h pipeline.WebHeader, vars Vars, kube kubernetes.Interface) (string, error) {
	if h.ValueFrom == nil || h.ValueFrom.SecretKeyRef == nil {
		return vars.Expand(h.Value), nil
	}
	return secretValue(ctx, kube, vars.Namespace, "header "+h.Name, h.ValueFrom.SecretKeyRef)
}

// secretValue reads one key of a Secret in namespace for what (a header,
// a credential), without its trailing newline. Errors name the Secret and
// key, never the value.
func secretValue(ctx context.Context, kube kubernetes.Interface, namespace, what string, ref *pipeline.SecretKeyRef) (string, error) {
	if kube == nil {
		return "", fmt.Errorf("%s: Secret/%s/%s: no cluster client", what, namespace, ref.Name)
	}
	// The response body of this GET holds the value: keep it out of -v logs.
	s, err := kube.CoreV1().Secrets(namespace).Get(diff.NewRedactor().Context(ctx), ref.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("%s: Secret/%s/%s: %w", what, namespace, ref.Name, err)
	}
	v, ok := s.Data[ref.Key]
	if !ok {
		return "", fmt.Errorf("%s: Secret/%s/%s has no key %q", what, namespace, ref.Name, ref.Key)
	}
	return strings.TrimRight(string(v), "\r\n"), nil
}

// measure calls the URL. Header values from Secrets are hidden in what it
// returns: an endpoint may echo them in its answer or its errors.
func (w *web) measure(ctx context.Context) (any, Phase, error) {
	v, phase, err := w.call(ctx)
	return v, phase, w.red.Error(err)
}

func (w *web) call(ctx context.Context) (any, Phase, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	var body io.Reader
	if w.body != "" {
		body = strings.NewReader(w.body)
	}
	req, err := http.NewRequestWithContext(ctx, w.method, w.url, body)
	if err != nil {
		return nil, "", fmt.Errorf("web: %w", err)
	}
	req.Header = w.headers.Clone()
	if w.body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("web: %s %s: %w", w.method, w.url, unwrapURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, "", fmt.Errorf("web: %s %s: %w", w.method, w.url, err)
	}
	// Before anything reads it: cut short, a value would show in part.
	data = []byte(w.red.String(string(data)))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "", fmt.Errorf("web: %s %s: HTTP %d: %s", w.method, w.url, resp.StatusCode, snippet(data))
	}
	return w.result(data)
}

func (w *web) result(data []byte) (any, Phase, error) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		if wholeDocument(w.jsonPath) {
			return strings.TrimSpace(string(data)), "", nil
		}
		return nil, "", fmt.Errorf("web: %s: the answer is not JSON: %s", w.url, snippet(data))
	}
	v, err := selectPath(doc, w.path)
	if err != nil {
		return nil, "", fmt.Errorf("web: %s: jsonPath %s: %w", w.url, w.jsonPath, err)
	}
	return v, "", nil
}

// unwrapURL drops the *url.Error wrapper, whose text repeats method and URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
