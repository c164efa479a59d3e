package analysis

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

const promPassword = "pr0m-pa55-7f3a"

// promAPI answers instant queries like Prometheus' HTTP API: a one-sample
// vector and a warning for an authorised GET or POST, 401 otherwise.
// It records the methods it saw.
func promAPI(t *testing.T, authorised func(*http.Request) bool, methods *[]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*methods = append(*methods, r.Method)
		if !authorised(r) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, "unauthorized: %s", r.Header.Get("Authorization"))
			return
		}
		if err := r.ParseForm(); err != nil || r.URL.Path != "/api/v1/query" || r.Form.Get("query") != "up" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"success","warnings":["PromQL info: metric might not be a counter"],`+
			`"data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.97"]}]}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func promKube(password string) *fake.Clientset {
	return fake.NewClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "prom", Namespace: "shop"},
		Data:       map[string][]byte{"password": []byte(password + "\n"), "token": []byte(password)},
	})
}

func promCheck(address string, auth *pipeline.PrometheusAuth) *pipeline.Analysis {
	return &pipeline.Analysis{Checks: []pipeline.Check{{Name: "up", SuccessCondition: "result[0] >= 0.95",
		Provider: pipeline.Provider{Prometheus: &pipeline.PrometheusProvider{Address: address, Query: "up", Auth: auth}}}}}
}

func secretRef(key string) pipeline.HeaderValueRef {
	return pipeline.HeaderValueRef{SecretKeyRef: &pipeline.SecretKeyRef{Name: "prom", Key: key}}
}

// TestPrometheusAuth: credentials from the Secret reach Prometheus; the
// API's warnings reach the measurement and the message.
func TestPrometheusAuth(t *testing.T) {
	bearer := secretRef("token")
	tests := map[string]struct {
		auth *pipeline.PrometheusAuth
		ok   func(*http.Request) bool
	}{
		"bearer": {&pipeline.PrometheusAuth{BearerToken: &bearer}, func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer "+promPassword
		}},
		"basic": {&pipeline.PrometheusAuth{Basic: &pipeline.BasicAuth{Username: "ci", Password: secretRef("password")}}, func(r *http.Request) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "ci" && p == promPassword
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var methods []string
			srv := promAPI(t, tt.ok, &methods)
			res, err := Run(t.Context(), promCheck(srv.URL, tt.auth), Vars{Namespace: "shop"}, Clients{Kube: promKube(promPassword)}, newFakeClock())
			if err != nil {
				t.Fatal(err)
			}
			if res.Phase != Successful {
				t.Fatalf("%s: %s", res.Phase, res.Message)
			}
			m := res.Checks[0].Measurements[0]
			if diff := cmp.Diff([]string{"PromQL info: metric might not be a counter"}, m.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if !strings.Contains(res.Message, "(warnings: PromQL info: metric might not be a counter)") {
				t.Errorf("message lacks the warning: %s", res.Message)
			}
		})
	}
}

// TestPrometheusAuthRefused: a wrong credential is a measurement error
// with the status, and the credential shows nowhere even when the server
// echoes it.
func TestPrometheusAuthRefused(t *testing.T) {
	var methods []string
	srv := promAPI(t, func(*http.Request) bool { return false }, &methods)
	bearer := secretRef("token")
	res, err := Run(t.Context(), promCheck(srv.URL, &pipeline.PrometheusAuth{BearerToken: &bearer}),
		Vars{Namespace: "shop"}, Clients{Kube: promKube("wrong-" + promPassword)}, newFakeClock())
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != Error || !strings.Contains(res.Message, "client error: 401") {
		t.Fatalf("%s: %s", res.Phase, res.Message)
	}
	if raw := string(res.JSON()) + res.Err().Error(); strings.Contains(raw, promPassword) {
		t.Errorf("credential leaked: %s", raw)
	}
	_, err = Run(t.Context(), promCheck(srv.URL, &pipeline.PrometheusAuth{BearerToken: &bearer}), Vars{Namespace: "other"}, Clients{Kube: promKube("x")}, newFakeClock())
	if err == nil || !strings.Contains(err.Error(), "prometheus.auth.bearerToken: Secret/other/prom") {
		t.Errorf("missing Secret: err = %v", err)
	}
}

// TestGetOnly: through the service proxy the client's form POST goes out
// as a GET with the same parameters.
func TestGetOnly(t *testing.T) {
	var methods []string
	srv := promAPI(t, func(r *http.Request) bool { return r.Method == http.MethodGet }, &methods)
	c := &http.Client{Transport: proxyTransport{next: http.DefaultTransport}}
	resp, err := c.Post(srv.URL+"/api/v1/query?timeout=5s", "application/x-www-form-urlencoded", strings.NewReader("query=up"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	if diff := cmp.Diff([]string{"GET"}, methods); diff != "" {
		t.Errorf("methods (-want +got):\n%s", diff)
	}
}

// TestPrometheusTimeout: a query slower than timeoutSeconds is a
// measurement error, not a hang.
func TestPrometheusTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	a := promCheck(srv.URL, nil)
	a.Checks[0].Provider.Prometheus.TimeoutSeconds = 1
	res, err := Run(t.Context(), a, Vars{}, Clients{}, newFakeClock())
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != Error || !strings.Contains(res.Message, "context deadline exceeded") {
		t.Fatalf("%s: %s", res.Phase, res.Message)
	}
}
