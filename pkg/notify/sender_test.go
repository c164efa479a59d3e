package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

const token = "tok-3f9a1c77e2"

// receiver is a webhook that answers the first len(fail) requests with
// those statuses, then 200, and keeps what it was sent.
type receiver struct {
	mu     sync.Mutex
	fail   []int
	bodies []string
	auth   []string
	types  []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, string(b))
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	r.types = append(r.types, req.Header.Get("Content-Type"))
	if n := len(r.bodies); n <= len(r.fail) {
		w.WriteHeader(r.fail[n-1])
	}
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// waits records the back-off asked for, without waiting.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return ctx.Err()
}

// warnings collects the Sender's warnings.
type warnings struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnings) add(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, s)
}

func (w *warnings) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

func target(t *testing.T, name, format, url string, events ...string) Target {
	t.Helper()
	tg, err := NewTarget(name, format, url, token, events)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func retry(attempts int) pipeline.NotifyRetry {
	return pipeline.NotifyRetry{Attempts: attempts, Backoff: pipeline.Duration(time.Millisecond), MaxBackoff: pipeline.Duration(3 * time.Millisecond)}
}

func TestSenderRetriesWithBackoff(t *testing.T) {
	tests := []struct {
		name     string
		fail     []int
		attempts int
		// requests the webhook gets, back-off waits asked, a warning
		requests int
		waits    []time.Duration
		warn     string
	}{
		{name: "ok at once", requests: 1, attempts: 5},
		{name: "two 503 then ok", fail: []int{503, 503}, attempts: 5, requests: 3,
			waits: []time.Duration{time.Millisecond, 2 * time.Millisecond}},
		{name: "back-off capped", fail: []int{500, 502, 503, 429}, attempts: 5, requests: 5,
			waits: []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 3 * time.Millisecond}},
		{name: "gives up", fail: []int{500, 500, 500}, attempts: 3, requests: 3,
			waits: []time.Duration{time.Millisecond, 2 * time.Millisecond},
			warn:  `notify webhook "team": failed of revision 7 not delivered: HTTP 500 Internal Server Error (attempt 3 of 3)`},
		{name: "4xx is not retried", fail: []int{404}, attempts: 5, requests: 1,
			warn: `notify webhook "team": failed of revision 7 not delivered: HTTP 404 Not Found (not retried) (attempt 1 of 5)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := &receiver{fail: tt.fail}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			w, warn := &waits{}, &warnings{}
			s := NewSender([]Target{target(t, "team", pipeline.NotifyCloudEvents, srv.URL+"/hook/"+token)},
				Options{Retry: retry(tt.attempts), Sleep: w.sleep, Warn: warn.add})
			s.Send(context.Background(), FromRecord(Failed, failedRecord(), ByCLI, at))
			s.Flush(context.Background())
			bodies := rcv.got()
			if len(bodies) != tt.requests {
				t.Fatalf("webhook got %d requests, want %d", len(bodies), tt.requests)
			}
			for _, b := range bodies[1:] {
				if b != bodies[0] {
					t.Errorf("a retry sent another body:\n%s\n%s", b, bodies[0])
				}
			}
			if diff := cmp.Diff(tt.waits, w.d); diff != "" {
				t.Errorf("back-off (-want +got):\n%s", diff)
			}
			if got := warn.all(); got != tt.warn {
				t.Errorf("warnings = %q, want %q", got, tt.warn)
			}
			if rcv.auth[0] != "Bearer "+token || !strings.HasPrefix(rcv.types[0], "application/cloudevents+json") {
				t.Errorf("headers: Authorization %q, Content-Type %q", rcv.auth[0], rcv.types[0])
			}
		})
	}
}

// TestSenderOrderAndFilter: each target gets the events it takes, in the
// order they were sent, whatever another target does.
func TestSenderOrderAndFilter(t *testing.T) {
	all, some := &receiver{fail: []int{503}}, &receiver{}
	srvAll, srvSome := httptest.NewServer(all), httptest.NewServer(some)
	defer srvAll.Close()
	defer srvSome.Close()
	w := &waits{}
	s := NewSender([]Target{
		target(t, "all", pipeline.NotifyCloudEvents, srvAll.URL),
		target(t, "failures", pipeline.NotifyCloudEvents, srvSome.URL, "failed", "rolled-back"),
	}, Options{Retry: retry(3), Sleep: w.sleep})
	kinds := []Kind{Started, Paused, Failed, RolledBack}
	for _, k := range kinds {
		s.Send(context.Background(), FromRecord(k, failedRecord(), ByCLI, at))
	}
	s.Flush(context.Background())
	if diff := cmp.Diff([]Kind{Started, Started, Paused, Failed, RolledBack}, kindsOf(t, all.got())); diff != "" {
		t.Errorf("all: kinds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Kind{Failed, RolledBack}, kindsOf(t, some.got())); diff != "" {
		t.Errorf("failures: kinds (-want +got):\n%s", diff)
	}
}

func kindsOf(t *testing.T, bodies []string) []Kind {
	t.Helper()
	var kinds []Kind
	for _, b := range bodies {
		var ce struct{ Data Event }
		if err := json.Unmarshal([]byte(b), &ce); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ce.Data.Kind)
	}
	return kinds
}

// TestSenderFlushIsBounded: a webhook that never answers holds the
// process only until Flush's context ends, and the loss is a warning.
func TestSenderFlushIsBounded(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	warn := &warnings{}
	s := NewSender([]Target{target(t, "stuck", pipeline.NotifySlack, srv.URL)},
		Options{Retry: retry(5), Timeout: time.Hour, Warn: warn.add})
	s.Send(context.Background(), FromRecord(Started, failedRecord(), ByCLI, at))
	s.Send(context.Background(), FromRecord(Failed, failedRecord(), ByCLI, at))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	s.Flush(ctx)
	got := warn.all()
	for _, want := range []string{`notify webhook "stuck": started of revision 7 not delivered`, `notify webhook "stuck": failed of revision 7 not delivered`} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
	s.Send(context.Background(), FromRecord(RolledBack, failedRecord(), ByCLI, at))
	if !strings.Contains(warn.all(), "rolled-back not sent: notifications were already flushed") {
		t.Errorf("a Send after Flush is not reported: %q", warn.all())
	}
}

// TestSenderNeverPrintsTheURL: transport errors and answers carry the URL
// in Go's errors; the warnings must not.
func TestSenderNeverPrintsTheURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more: connection refused
	secretURL := addr + "/services/T0/B0/" + token + "?key=" + token
	warn := &warnings{}
	s := NewSender([]Target{target(t, "gone", pipeline.NotifySlack, secretURL)},
		Options{Retry: retry(2), Sleep: (&waits{}).sleep, Warn: warn.add})
	s.Send(context.Background(), FromRecord(Failed, failedRecord(), ByCLI, at))
	s.Flush(context.Background())
	got := warn.all()
	if !strings.Contains(got, `notify webhook "gone": failed of revision 7 not delivered: dial: `) {
		t.Errorf("warning = %q", got)
	}
	if leaks := testutil.Leaks(got, token, secretURL, "/services/T0/B0"); len(leaks) > 0 {
		t.Errorf("warning %q leaks %q", got, leaks)
	}
	if s := (target(t, "gone", pipeline.NotifySlack, secretURL)).String(); s != "gone" {
		t.Errorf("Target prints as %q", s)
	}
}

func TestNilSender(t *testing.T) {
	var s *Sender
	s.Send(context.Background(), Event{Kind: Started})
	s.Flush(context.Background())
}

// TestSenderNeverBlocks: with its queue full, Send drops the event with a
// warning instead of waiting; reasons are masked before they are queued.
func TestSenderNeverBlocks(t *testing.T) {
	unblock := make(chan struct{})
	rcv := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-unblock
		rcv.ServeHTTP(w, r)
	}))
	defer srv.Close()
	warn := &warnings{}
	s := NewSender([]Target{target(t, "slow", pipeline.NotifyCloudEvents, srv.URL)}, Options{
		Retry: retry(1), Queue: 1, Warn: warn.add,
		Redact: func(s string) string { return strings.ReplaceAll(s, "hunter2", "***") },
	})
	e := FromRecord(Failed, failedRecord(), ByCLI, at)
	e.Reason = "Secret/shop/db: password hunter2 rejected"
	for range 5 {
		s.Send(context.Background(), e) // one in flight, one queued, the rest dropped
	}
	close(unblock)
	s.Flush(context.Background())
	if got := strings.Count(warn.all(), `notify webhook "slow": failed dropped: 1 notifications are already waiting`); got < 2 {
		t.Errorf("dropped warnings = %d, want at least 2:\n%s", got, warn.all())
	}
	bodies := rcv.got()
	if len(bodies) == 0 || len(bodies) > 3 {
		t.Fatalf("webhook got %d events, want 1 to 3", len(bodies))
	}
	if strings.Contains(bodies[0], "hunter2") || !strings.Contains(bodies[0], "password *** rejected") {
		t.Errorf("reason not masked: %s", bodies[0])
	}
	if got := fmt.Sprintf("%v %+v %#v", s.Targets()[0], s.Targets()[0], s.Targets()[0]); strings.Contains(got, srv.URL) || strings.Contains(got, token) {
		t.Errorf("a Target prints its URL or token: %s", got)
	}
}
