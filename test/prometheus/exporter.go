package prometheus

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// ErrorRateQuery is the error rate of the exporter's requests over the
// last 5 s (five scrapes).
const ErrorRateQuery = `sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))`

// Exporter serves http_requests_total{code="200"|"500"} counters that
// grow by 100 requests a scrape, the share given by SetErrorRate being
// 500s, and an error_rate gauge with the same share.
type Exporter struct {
	URL string

	mu         sync.Mutex
	rate       float64
	ok, failed float64
}

// NewExporter starts an exporter at error rate 0, stopped with the test.
func NewExporter(t testing.TB) *Exporter {
	t.Helper()
	e := &Exporter{}
	srv := httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// SetErrorRate sets the share of failing requests from now on.
func (e *Exporter) SetErrorRate(r float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rate = r
}

func (e *Exporter) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	e.mu.Lock()
	bad := math.Round(100 * e.rate)
	e.failed += bad
	e.ok += 100 - bad
	ok, failed, rate := e.ok, e.failed, e.rate
	e.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} %g\nhttp_requests_total{code=\"500\"} %g\n", ok, failed)
	fmt.Fprintf(w, "# TYPE error_rate gauge\nerror_rate %g\n", rate)
}
