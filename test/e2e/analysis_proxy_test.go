package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/pkg/analysis"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
	"github.com/kubectl-promote/kubectl-promote/test/prometheus"
)

// Given a real Prometheus known to the CLI only as an in-cluster Service
// (prometheus.service, reached through the apiserver's service proxy with
// the kubeconfig's credentials; see prometheus.Expose for how the local
// cluster reaches it), and a canary gated on its error rate, When a
// release goes out at 1% errors, Then it passes its analysis step; When
// the next one goes out at 40% errors, Then it is undone with the
// measured value in the reason and the record.
func TestCanaryAnalysisPrometheusServiceProxy(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	admin, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	exp := prometheus.NewExporter(t)
	exp.SetErrorRate(0.01)
	monitoring := c.Namespace(t, "monitoring")
	prom := prometheus.StartExposed(t, admin, monitoring, "prometheus", prometheus.Host(exp.URL))
	prom.WaitForSeries(t, prometheus.ErrorRateQuery, 30*time.Second)

	e := newSwitchEnv(t, "analysis-proxy", fmt.Sprintf(`canary:
        steps:
        - weight: 25
        - analysis:
            checks:
            - name: error-rate
              provider:
                prometheus:
                  service: {namespace: %s, name: prometheus, port: web}
                  query: %q
                  timeoutSeconds: 5
              interval: 1s
              count: 3
              failureCondition: "len(result) == 0 || asFloat(result[0]) > 0.05"`, monitoring, prometheus.ErrorRateQuery))
	e.write(version{Tag: "1.0"})
	mustExit(t, e.promote("apply", "staging"), 0)

	e.write(version{Tag: "2.0"})
	r := e.promote("apply", "staging")
	mustExit(t, r, 0)
	got := analysisOf(t, e.record(2))
	if len(got) != 1 || got[0].Phase != analysis.Successful || len(got[0].Checks[0].Measurements) != 3 {
		t.Fatalf("revision 2 analysis: %+v\n%s", got, r.stderr)
	}

	exp.SetErrorRate(0.4)
	e.write(version{Tag: "3.0"})
	r = e.promote("apply", "staging")
	mustExit(t, r, 4)
	rec := e.record(3)
	if !strings.Contains(rec.Reason, "canary step 2/2") || !strings.Contains(rec.Reason, "error-rate: result [0.") {
		t.Errorf("reason lacks the step or the measured value: %q\n%s", rec.Reason, r.stderr)
	}
	if rec.Status != release.RolledBack {
		t.Errorf("revision 3: %s, want rolled-back", rec.Status)
	}
	e.noCanaryObjects()
}
