package analysis

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

const secretToken = "s3cr3t-token-value"

// statusServer answers {"data": {"status": <status>}} to requests bearing
// the token, 401 otherwise.
func statusServer(t *testing.T, status *atomic.Value) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secretToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"status": status.Load(), "echo": string(body), "path": r.URL.Path}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func webAnalysis(url string) *pipeline.Analysis {
	return &pipeline.Analysis{Checks: []pipeline.Check{{
		Name: "status",
		Provider: pipeline.Provider{Web: &pipeline.WebProvider{
			URL: url + "/{{env}}/status", Method: "POST", Body: `{"rev": {{canaryRevision}}}`, JSONPath: "$.data.status",
			Headers: []pipeline.WebHeader{{Name: "Authorization", ValueFrom: &pipeline.HeaderValueRef{
				SecretKeyRef: &pipeline.SecretKeyRef{Name: "status-token", Key: "token"}}}},
		}},
		Count: 2, SuccessCondition: `result == "ok"`, FailureCondition: `result == "down"`,
	}}}
}

func TestWebCheck(t *testing.T) {
	kube := fake.NewClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "status-token", Namespace: "shop"},
		Data:       map[string][]byte{"token": []byte("Bearer " + secretToken + "\n")},
	})
	vars := Vars{Env: "staging", Namespace: "shop", CanaryRevision: 7}
	tests := []struct {
		status string
		phase  Phase
	}{
		{"ok", Successful},
		{"down", Failed},
		{"degraded", Inconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			var status atomic.Value
			status.Store(tt.status)
			srv := statusServer(t, &status)
			res, err := Run(t.Context(), webAnalysis(srv.URL), vars, Clients{Kube: kube}, newFakeClock())
			if err != nil {
				t.Fatal(err)
			}
			if res.Phase != tt.phase {
				t.Fatalf("phase %s, want %s: %s", res.Phase, tt.phase, res.Message)
			}
			if tt.phase != Successful && !strings.Contains(res.Message, `result "`+tt.status+`"`) {
				t.Errorf("message lacks the measured value: %s", res.Message)
			}
			if raw := string(res.JSON()); strings.Contains(raw, secretToken) {
				t.Errorf("record carries the secret: %s", raw)
			}
		})
	}
}

func TestWebCheckVariablesAndPath(t *testing.T) {
	var status atomic.Value
	status.Store("ok")
	srv := statusServer(t, &status)
	a := webAnalysis(srv.URL)
	a.Checks[0].Provider.Web.Headers[0] = pipeline.WebHeader{Name: "Authorization", Value: "Bearer " + secretToken}
	a.Checks[0].Provider.Web.JSONPath = "$.data"
	a.Checks[0].SuccessCondition = `result.echo == "{\"rev\": 7}" && result.path == "/staging/status"`
	a.Checks[0].FailureCondition = ""
	res, err := Run(t.Context(), a, Vars{Env: "staging", CanaryRevision: 7}, Clients{}, newFakeClock())
	if err != nil || res.Phase != Successful {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestWebSecretNeverInErrors(t *testing.T) {
	var status atomic.Value
	status.Store("ok")
	srv := statusServer(t, &status)
	kube := fake.NewClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "status-token", Namespace: "shop"},
		Data:       map[string][]byte{"token": []byte("Bearer wrong-" + secretToken)},
	})
	res, err := Run(t.Context(), webAnalysis(srv.URL), Vars{Namespace: "shop"}, Clients{Kube: kube}, newFakeClock())
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != Error || !strings.Contains(res.Message, "HTTP 401") {
		t.Fatalf("got %s: %s", res.Phase, res.Message)
	}
	if raw := string(res.JSON()) + res.Err().Error(); strings.Contains(raw, secretToken) {
		t.Errorf("secret leaked: %s", raw)
	}
	_, err = Run(t.Context(), webAnalysis(srv.URL), Vars{Namespace: "other"}, Clients{Kube: kube}, newFakeClock())
	if err == nil || !strings.Contains(err.Error(), "Secret/other/status-token") {
		t.Errorf("missing Secret: err = %v", err)
	}
}

func TestSelectPath(t *testing.T) {
	var doc any
	_ = json.Unmarshal([]byte(`{"a": {"b": [1, {"c-d": "x"}], "n": null},
		"items": [{"name": "web", "rate": 0.01}, {"name": "db", "rate": 0.2}, {"name": "cache", "rate": 0.03}]}`), &doc)
	tests := []struct {
		path string
		want any
	}{
		{"$", doc},
		{"{$}", doc},
		{"$.a.b[0]", 1.0},
		{"{$.a.b[-1]['c-d']}", "x"},
		{".a.b[1].c-d", "x"},
		{"$.a.n", nil},
		{`$.items[?(@.name=="db")].rate`, 0.2},
		{`$.items[?(@.rate < 0.05)].name`, []any{"web", "cache"}},
		{"$.items[0:2].rate", []any{0.01, 0.2}},
		{"$.items[*].name", []any{"web", "db", "cache"}},
		{"$.items[-1:].name", "cache"},
		{"$..rate", []any{0.01, 0.2, 0.03}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := pipeline.ParseJSONPath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := selectPath(doc, p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSelectPathErrors: a path that finds nothing says what is missing.
func TestSelectPathErrors(t *testing.T) {
	var doc any
	_ = json.Unmarshal([]byte(`{"a": {"b": [1, 2]}, "items": [{"name": "web"}]}`), &doc)
	tests := map[string]string{
		"$.a.x":                         "x is not found",
		"$.a.b[5]":                      "array index out of bounds: index 5, length 2",
		"$.a.b.c":                       "c is not found",
		`$.items[?(@.name=="db")].rate`: "matched nothing",
	}
	for path, want := range tests {
		p, err := pipeline.ParseJSONPath(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := selectPath(doc, p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", path, err, want)
		}
	}
}
