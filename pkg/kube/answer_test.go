package kube

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// TestAnswerTimeout: a request whose headers do not come in time fails as
// a timeout naming the server; a response that has started (a watch) is
// not cut, however long its body takes.
func TestAnswerTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond) // longer than the timeout
		io.WriteString(w, "late body")
	}))
	defer srv.Close()
	defer close(release)
	rt := &answerTimeout{next: http.DefaultTransport, after: 100 * time.Millisecond, host: srv.URL}
	client := &http.Client{Transport: rt}

	_, err := client.Get(srv.URL + "/hang")
	var na *NoAnswerError
	if !errors.As(err, &na) || !strings.Contains(err.Error(), "the cluster at "+srv.URL+" did not answer within 100ms") {
		t.Fatalf("hung request: %v, want a NoAnswerError naming %s", err, srv.URL)
	}
	if !exitcode.Interrupted(err) || exitcode.Code(err) != exitcode.Cluster {
		t.Errorf("hung request: exit code %d, want a timeout (3)", exitcode.Code(err))
	}

	resp, err := client.Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "late body" {
		t.Errorf("streamed body = %q, %v; want it whole", body, err)
	}
}

// TestBoundedAnswersRespectsRequestTimeout: --request-timeout already bounds
// every request, so the config is left alone.
func TestBoundedAnswersRespectsRequestTimeout(t *testing.T) {
	called := false
	next := func(c *rest.Config) *rest.Config { called = true; return c }
	cfg := WithBoundedAnswers(next)(&rest.Config{Host: "https://x", Timeout: time.Second})
	if !called || cfg.WrapTransport != nil {
		t.Errorf("next called %v, WrapTransport set %v; want next called and no wrapper", called, cfg.WrapTransport != nil)
	}
	cfg = WithBoundedAnswers(nil)(&rest.Config{Host: "https://x"})
	if cfg.WrapTransport == nil {
		t.Error("no wrapper without a request timeout")
	}
}
