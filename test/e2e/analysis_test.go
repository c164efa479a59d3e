package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/pkg/analysis"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/prometheus"
)

// analysisOf decodes the analysis results kept in a release record.
func analysisOf(t *testing.T, rec *release.Record) []analysis.Result {
	t.Helper()
	var out []analysis.Result
	for _, raw := range rec.Analysis {
		var r analysis.Result
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("revision %d: analysis %s: %v", rec.Revision, raw, err)
		}
		out = append(out, r)
	}
	return out
}

// Given a real Prometheus scraping an exporter whose error rate the test
// sets, and a canary gated on the error rate, When a release goes out at
// 1% errors, Then it passes its analysis step and is promoted; When the
// next one goes out at 40% errors, Then it is aborted at that step and
// undone, the measured value in the reason and in the record.
func TestCanaryAnalysisPrometheus(t *testing.T) {
	t.Parallel()
	exp := prometheus.NewExporter(t)
	exp.SetErrorRate(0.01)
	prom := prometheus.Start(t, prometheus.Host(exp.URL))
	// The first measurements must have data: an empty vector makes
	// result[0] an error, on a loaded machine too.
	prom.WaitForSeries(t, prometheus.ErrorRateQuery, 60*time.Second)
	e := newSwitchEnv(t, "analysis-prom", fmt.Sprintf(`canary:
        steps:
        - weight: 25
        - analysis:
            checks:
            - name: error-rate
              provider: {prometheus: {address: %q, query: %q}}
              interval: 1s
              count: 4
              failureCondition: "default(result[0], 0) > 0.05"`, prom.Address, prometheus.ErrorRateQuery))
	e.write(version{Tag: "1.0"})
	mustExit(t, e.promote("apply", "staging"), 0)

	e.write(version{Tag: "2.0"})
	r := e.promote("apply", "staging")
	mustExit(t, r, 0)
	got := analysisOf(t, e.record(2))
	if len(got) != 1 || got[0].Phase != analysis.Successful || len(got[0].Checks[0].Measurements) != 4 {
		t.Fatalf("revision 2 analysis: %+v\n%s", got, r.stderr)
	}
	e.noCanaryObjects()

	exp.SetErrorRate(0.4)
	e.write(version{Tag: "3.0"})
	r = e.promote("apply", "staging")
	mustExit(t, r, 4)
	rec := e.record(3)
	for _, s := range []string{r.stderr, rec.Reason} {
		if !strings.Contains(s, "canary step 2/2") || !strings.Contains(s, "error-rate: result [0.") {
			t.Errorf("reason lacks the step or the measured value: %q", s)
		}
	}
	if got := analysisOf(t, rec); len(got) != 1 || got[0].Phase != analysis.Failed {
		t.Errorf("revision 3 analysis: %+v", got)
	}
	if rec.Status != release.RolledBack {
		t.Errorf("revision 3: %s, want rolled-back", rec.Status)
	}
	e.noCanaryObjects()
}

// Given a canary gated on a web check answering "degraded", When a release
// goes out, Then it pauses at the analysis step with the measured value as
// the pause reason shown by status, and `resume` finishes it. A web check
// answering "down" aborts.
func TestCanaryAnalysisWebInconclusive(t *testing.T) {
	t.Parallel()
	var status atomic.Value
	status.Store("degraded")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"status": status.Load(), "path": r.URL.Path})
	}))
	t.Cleanup(srv.Close)
	e := newSwitchEnv(t, "analysis-web", fmt.Sprintf(`canary:
        steps:
        - weight: 50
        - analysis:
            checks:
            - name: smoke
              provider: {web: {url: "%s/{{env}}/{{canaryRevision}}", jsonPath: $.status}}
              successCondition: result == "ok"
              failureCondition: result == "down"`, srv.URL))
	e.write(version{Tag: "1.0"})
	mustExit(t, e.promote("apply", "staging"), 0)

	e.write(version{Tag: "2.0"})
	run := e.start("apply", "staging")
	st := e.waitState("paused by the analysis", func(st *release.State) bool { return st.Paused && st.Step == 2 })
	if !strings.Contains(st.PauseReason, `smoke: result "degraded"`) {
		t.Errorf("pause reason: %q", st.PauseReason)
	}
	s := e.promote("status", "staging")
	if !strings.Contains(s.stdout, "analysis inconclusive") {
		t.Errorf("status does not show the inconclusive analysis:\n%s", s.stdout)
	}
	mustExit(t, e.promote("resume", "staging"), 0)
	if code, stderr := run.wait(t); code != 0 {
		t.Fatalf("apply exit %d after resume:\n%s", code, stderr)
	}
	e.noState()

	status.Store("down")
	e.write(version{Tag: "3.0"})
	r := e.promote("apply", "staging")
	mustExit(t, r, 4)
	if !strings.Contains(r.stderr, `smoke: result "down"`) {
		t.Errorf("abort reason lacks the measured value:\n%s", r.stderr)
	}
}

// Given blue-green with pre- and post-promotion web checks, When both
// pass, Then the release switches and both results are recorded; When the
// post-promotion check fails, Then the active Service flips back; When the
// pre-promotion check fails, Then the active Service is never written.
func TestBlueGreenAnalysis(t *testing.T) {
	t.Parallel()
	var pre, post atomic.Value
	pre.Store("ok")
	post.Store("ok")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := pre.Load()
		if r.URL.Path == "/post" {
			v = post.Load()
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"status": v})
	}))
	t.Cleanup(srv.Close)
	check := func(path string) string {
		return fmt.Sprintf(`{checks: [{name: %s, provider: {web: {url: "%s/%s", jsonPath: $.status}}, successCondition: 'result == "ok"'}]}`, path, srv.URL, path)
	}
	e := newBlueGreenEnv(t, fmt.Sprintf("blueGreen: {activeService: web, previewService: web-preview, scaleDownDelay: 1s, prePromotionAnalysis: %s, postPromotionAnalysis: %s}",
		check("pre"), check("post")))

	e.write(version{Tag: "2.0", Replicas: 3, Preview: true})
	mustExit(t, e.promote("apply", "staging"), 0)
	if got := analysisOf(t, e.record(2)); len(got) != 2 || got[0].Name != "prePromotionAnalysis" || got[1].Name != "postPromotionAnalysis" {
		t.Errorf("revision 2 analyses: %+v", got)
	}
	mustEqual(t, "active colour", e.obs.values("services", "web", colour), []string{"blue", "green"})

	post.Store("down")
	e.write(version{Tag: "3.0", Replicas: 3, Preview: true})
	r := e.promote("apply", "staging")
	mustExit(t, r, 4)
	if !strings.Contains(r.stderr, `postPromotionAnalysis: analysis failed: post: result "down"`) {
		t.Errorf("reason lacks the step or value:\n%s", r.stderr)
	}
	mustEqual(t, "active colour", e.obs.values("services", "web", colour), []string{"blue", "green", "blue", "green"})

	pre.Store("down")
	before, err := e.client.CoreV1().Services(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.write(version{Tag: "4.0", Replicas: 3, Preview: true})
	mustExit(t, e.promote("apply", "staging"), 4)
	after, err := e.client.CoreV1().Services(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("the active Service was written after a failed pre-promotion analysis")
	}
}

// Given a rolling environment with an analysis, When the release is
// healthy and the check passes, Then it succeeds; When the check fails,
// Then the healthy release is undone like a failing one (exit 4).
func TestRollingAnalysis(t *testing.T) {
	t.Parallel()
	var status atomic.Value
	status.Store("ok")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"status": status.Load()})
	}))
	t.Cleanup(srv.Close)
	e := newSwitchEnv(t, "analysis-rolling", fmt.Sprintf(`analysis: {checks: [{name: smoke, provider: {web: {url: %q, jsonPath: $.status}}, successCondition: 'result == "ok"', count: 2, interval: 1s}]}`, srv.URL))
	e.write(version{Tag: "1.0"})
	mustExit(t, e.promote("apply", "staging"), 0)
	if got := analysisOf(t, e.record(1)); len(got) != 1 || got[0].Phase != analysis.Successful {
		t.Errorf("revision 1 analysis: %+v", got)
	}
	status.Store("down")
	e.write(version{Tag: "2.0"})
	r := e.promote("apply", "staging")
	mustExit(t, r, 4)
	if rec := e.record(2); rec.Status != release.RolledBack || !strings.Contains(rec.Reason, `smoke: result "down"`) {
		t.Errorf("revision 2: %s %q", rec.Status, rec.Reason)
	}
}
