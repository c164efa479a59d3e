package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
)

// syncBuffer is a strings.Builder safe for the concurrent writes of
// client-go.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLoggingHidesSecretValues: at -v=10, client-go's request log,
// klog lines and the apiserver's Warning headers reach stderr without the
// values of Secrets the process has seen, in plain or base64.
func TestLoggingHidesSecretValues(t *testing.T) {
	const canary, canary64 = "logging-canary-7f3a", "bG9nZ2luZy1jYW5hcnktN2YzYQ=="
	diff.Learn(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s"},
		"stringData": map[string]any{"token": canary}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Warning", `299 - "spec.token: value `+canary+` is deprecated"`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2","buildDate":"` + canary64 + `"}`))
	}))
	t.Cleanup(srv.Close)
	var out syncBuffer
	if err := setupLogging(&out, 10); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		klog.ClearLogger()
		rest.SetDefaultWarningHandler(rest.WarningLogger{})
		_ = setVerbosityForTest(0)
	})
	c, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Discovery().ServerVersion(); err != nil {
		t.Fatal(err)
	}
	klog.Infof("a legacy line with %s", canary)
	klog.FromContext(context.Background()).V(8).Info("Response Body", "body", `{"kind":"Secret","data":{"other":"dW5rbm93bi12YWx1ZQ=="}}`)
	got := out.String()
	for _, want := range []string{`Warning: spec.token: value *** is deprecated`, "a legacy line with ***", "Response Body", "<masked: may contain Secret values>", `url="` + srv.URL} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, leak := range []string{canary, canary64, "dW5rbm93bi12YWx1ZQ=="} {
		if strings.Contains(got, leak) {
			t.Errorf("output shows %q:\n%s", leak, got)
		}
	}
}

// TestEveryCommandTakesV: -v is the root's, so every command has it, and
// it is the same flag everywhere (no command shadows it).
func TestEveryCommandTakesV(t *testing.T) {
	root := NewRootCommand(genericiooptions.NewTestIOStreamsDiscard())
	for _, c := range root.Commands() {
		if f := c.Flag("v"); f == nil || f != root.PersistentFlags().Lookup("v") {
			t.Errorf("%s: -v is %v, want the root's", c.Name(), f)
		}
	}
}

func TestLoggingRejectsNegativeVerbosity(t *testing.T) {
	if err := setupLogging(&syncBuffer{}, -1); err == nil {
		t.Error("setupLogging(-1) = nil, want an error")
	}
}

// setVerbosityForTest puts klog's -v back.
func setVerbosityForTest(v int) error {
	return setupLogging(&syncBuffer{}, v)
}
