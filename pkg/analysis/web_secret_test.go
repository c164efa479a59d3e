package analysis

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

const echoToken = "echo-canary-5c1d9e"

// echoKube holds the Secret the header comes from.
func echoKube() *fake.Clientset {
	return fake.NewClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "probe-token", Namespace: "shop"},
		Data:       map[string][]byte{"token": []byte("Bearer " + echoToken)},
	})
}

// secretHeaderCheck calls url with X-Probe-Token from the Secret.
func secretHeaderCheck(url, jsonPath string) *pipeline.WebProvider {
	return &pipeline.WebProvider{URL: url, JSONPath: jsonPath, Headers: []pipeline.WebHeader{{Name: "X-Probe-Token",
		ValueFrom: &pipeline.HeaderValueRef{SecretKeyRef: &pipeline.SecretKeyRef{Name: "probe-token", Key: "token"}}}}}
}

func measureWeb(t *testing.T, p *pipeline.WebProvider, hc *http.Client) (any, error) {
	t.Helper()
	if hc == nil {
		hc = http.DefaultClient
	}
	w, err := newWeb(t.Context(), p, Vars{Namespace: "shop"}, hc, echoKube())
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := w.measure(t.Context())
	return v, err
}

// leaks reports whether s shows the token, alone or with its scheme, in
// plain text or base64.
func leaks(s string) bool {
	for _, v := range []string{echoToken, "Bearer " + echoToken} {
		if strings.Contains(s, v) || strings.Contains(s, base64.StdEncoding.EncodeToString([]byte(v))) {
			return true
		}
	}
	return false
}

// TestWebHidesEchoedSecretHeaders: an endpoint that echoes the header
// (as text, JSON, base64, in an error, cut at the snippet's length)
// never gets the value into a measurement or an error.
func TestWebHidesEchoedSecretHeaders(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		jsonPath string
		body     func(h string) string
	}{
		{"plain text becomes the value", 200, "", func(h string) string { return "you sent " + h }},
		{"JSON value selected", 200, "$.echo", func(h string) string { return fmt.Sprintf(`{"echo": %q}`, h) }},
		{"base64", 200, "", func(h string) string { return base64.StdEncoding.EncodeToString([]byte(h)) }},
		{"error body", 500, "", func(h string) string { return "failed for " + h }},
		{"error body cut across the value", 502, "", func(h string) string { return strings.Repeat("x", 190) + h }},
		{"not JSON with a jsonPath", 200, "$.a", func(h string) string { return "<html>" + h }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body(r.Header.Get("X-Probe-Token")))
			}))
			t.Cleanup(srv.Close)
			v, err := measureWeb(t, secretHeaderCheck(srv.URL, tt.jsonPath), nil)
			got := fmt.Sprintf("%v %v", v, err)
			if leaks(got) {
				t.Errorf("measurement shows the header value: %s", got)
			}
			if !strings.Contains(got, "***") {
				t.Errorf("measurement lacks the mask, so the endpoint did not echo: %s", got)
			}
		})
	}
}

// TestWebRefusesRedirectsThatCarrySecrets: a redirect to another host or
// from https to http is refused when headers come from Secrets, before
// the other server sees anything; same-host redirects still work, and
// headers not from Secrets follow redirects as before.
func TestWebRefusesRedirectsThatCarrySecrets(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		_, _ = io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(other.Close)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/final", http.StatusFound)
		default:
			_, _ = fmt.Fprintf(w, `{"ok": %t}`, r.Header.Get("X-Probe-Token") != "")
		}
	}))
	t.Cleanup(origin.Close)
	tlsOrigin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+"/plain", http.StatusFound)
	}))
	t.Cleanup(tlsOrigin.Close)

	if _, err := measureWeb(t, secretHeaderCheck(origin.URL+"/away", "$.ok"), nil); err == nil ||
		!strings.Contains(err.Error(), "redirect to another host ("+strings.TrimPrefix(other.URL, "http://")+") refused") ||
		!strings.Contains(err.Error(), "X-Probe-Token") {
		t.Errorf("cross-host redirect: err = %v", err)
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other host got %d requests", n)
	}
	if _, err := measureWeb(t, secretHeaderCheck(tlsOrigin.URL, "$.ok"), tlsOrigin.Client()); err == nil ||
		!strings.Contains(err.Error(), "redirect from https to http refused") {
		t.Errorf("https to http redirect: err = %v", err)
	}
	if v, err := measureWeb(t, secretHeaderCheck(origin.URL+"/here", "$.ok"), nil); err != nil || v != true {
		t.Errorf("same-host redirect: %v, %v; want true (header kept)", v, err)
	}
	plain := &pipeline.WebProvider{URL: origin.URL + "/away", JSONPath: "$.ok", Headers: []pipeline.WebHeader{{Name: "X-Trace", Value: "1"}}}
	if v, err := measureWeb(t, plain, nil); err != nil || v != true || otherHits.Load() != 1 {
		t.Errorf("redirect without Secret headers: %v, %v, %d hits; want it followed", v, err, otherHits.Load())
	}
}

// TestWebSecretHeadersNeverInRecords runs a whole analysis against an
// echoing endpoint: the result, as recorded, hides the value.
func TestWebSecretHeadersNeverInRecords(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-Probe-Token"))
	}))
	t.Cleanup(srv.Close)
	a := &pipeline.Analysis{Checks: []pipeline.Check{{Name: "echo",
		Provider: pipeline.Provider{Web: secretHeaderCheck(srv.URL, "")},
		Count:    1, SuccessCondition: `result == "nothing"`}}}
	res, err := Run(t.Context(), a, Vars{Namespace: "shop"}, Clients{Kube: echoKube()}, newFakeClock())
	if err != nil {
		t.Fatal(err)
	}
	if raw := string(res.JSON()) + res.Message; leaks(raw) || !strings.Contains(raw, "***") {
		t.Errorf("result shows the value or was not echoed: %s", raw)
	}
}
