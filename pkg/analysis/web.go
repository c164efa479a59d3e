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
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// DefaultWebTimeout bounds a web check's request when the check sets none.
const DefaultWebTimeout = 10 * time.Second

// web calls a URL and selects its result from the JSON answer. Header
// values stay in headers and go nowhere else: no message, log or record
// carries them.
type web struct {
	http     *http.Client
	method   string
	url      string
	body     string
	path     []pathStep
	headers  http.Header
	timeout  time.Duration
	jsonPath string
}

func newWeb(ctx context.Context, w *pipeline.WebProvider, vars Vars, hc *http.Client, kube kubernetes.Interface) (*web, error) {
	path, err := parsePath(w.JSONPath)
	if err != nil {
		return nil, err
	}
	p := &web{http: hc, method: strings.ToUpper(w.Method), url: vars.Expand(w.URL), body: vars.Expand(w.Body),
		path: path, jsonPath: w.JSONPath, headers: http.Header{}, timeout: DefaultWebTimeout}
	if p.method == "" {
		p.method = http.MethodGet
	}
	if w.TimeoutSeconds > 0 {
		p.timeout = time.Duration(w.TimeoutSeconds) * time.Second
	}
	for _, h := range w.Headers {
		v, err := headerValue(ctx, h, vars, kube)
		if err != nil {
			return nil, err
		}
		p.headers.Add(h.Name, v)
	}
	return p, nil
}

// headerValue reads a header from its Secret; errors name the Secret and
// key, never the value.
func headerValue(ctx context.Context, h pipeline.WebHeader, vars Vars, kube kubernetes.Interface) (string, error) {
	if h.ValueFrom == nil || h.ValueFrom.SecretKeyRef == nil {
		return vars.Expand(h.Value), nil
	}
	ref := h.ValueFrom.SecretKeyRef
	if kube == nil {
		return "", fmt.Errorf("header %s: Secret/%s/%s: no cluster client", h.Name, vars.Namespace, ref.Name)
	}
	s, err := kube.CoreV1().Secrets(vars.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("header %s: Secret/%s/%s: %w", h.Name, vars.Namespace, ref.Name, err)
	}
	v, ok := s.Data[ref.Key]
	if !ok {
		return "", fmt.Errorf("header %s: Secret/%s/%s has no key %q", h.Name, vars.Namespace, ref.Name, ref.Key)
	}
	return strings.TrimRight(string(v), "\r\n"), nil
}

func (w *web) measure(ctx context.Context) (any, Phase, error) {
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
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "", fmt.Errorf("web: %s %s: HTTP %d: %s", w.method, w.url, resp.StatusCode, snippet(data))
	}
	return w.result(data)
}

func (w *web) result(data []byte) (any, Phase, error) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		if len(w.path) == 0 {
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
