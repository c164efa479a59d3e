package pipeline

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
)

func TestLoadAnalysis(t *testing.T) {
	p, err := Load("testdata/analysis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	two := 2
	step := p.Spec.Environments[1].Strategy.Canary.Steps[1].Analysis
	want := &Analysis{Checks: []Check{{
		Name: "error-rate",
		Provider: Provider{Prometheus: &PrometheusProvider{
			Address: "http://prometheus.monitoring:9090",
			Query:   `sum(rate(http_requests_total{code="500",track="canary"}[1m]))`,
		}},
		Interval: Duration(30 * time.Second), Count: 5, FailureCondition: "result > 0.05",
		FailureLimit: 1, ConsecutiveErrorLimit: &two,
	}, {
		Name: "success-rate",
		Provider: Provider{Prometheus: &PrometheusProvider{
			Service: &ServiceRef{Namespace: "monitoring", Name: "prometheus", Port: intstr.FromInt32(9090)},
			Query:   `sum(rate(http_requests_total{code!~"5.."}[1m])) / sum(rate(http_requests_total[1m]))`, TimeoutSeconds: 5,
		}},
		SuccessCondition: "len(result) == 0 || result[0] >= 0.95",
	}, {
		Name: "latency",
		Provider: Provider{Prometheus: &PrometheusProvider{
			Service: &ServiceRef{Name: "thanos", Port: intstr.FromString("web"), Scheme: "https", Path: "/prometheus"},
			Query:   `histogram_quantile(0.99, sum(rate(latency_bucket[1m])) by (le))`,
		}},
		SuccessCondition: "asFloat(result) < 0.5",
	}}}
	if diff := cmp.Diff(want, step); diff != "" {
		t.Errorf("canary step analysis (-want +got):\n%s", diff)
	}
	web := p.Spec.Environments[2].Strategy.BlueGreen.PrePromotionAnalysis.Checks[0].Provider.Web
	if got := web.Headers[0].ValueFrom.SecretKeyRef; got.Name != "status-token" || got.Key != "token" {
		t.Errorf("header secretKeyRef = %+v", got)
	}
	var spec map[string]any
	if err := json.Unmarshal(p.Spec.Environments[0].Strategy.Analysis.Checks[0].Provider.Job.Spec, &spec); err != nil {
		t.Fatal(err)
	}
	if spec["backoffLimit"] != float64(0) {
		t.Errorf("job spec = %v", spec)
	}
	if got := p.Lines["spec.environments[1].strategy.canary.steps[1].analysis.checks[0].failureCondition"]; got != 38 {
		t.Errorf("failureCondition line = %d, want 38", got)
	}
}

func TestValidateAnalysis(t *testing.T) {
	err := loadAndValidate("testdata/analysis-invalid.yaml")
	var list ProblemList
	if !errors.As(err, &list) {
		t.Fatalf("want a problem list, got %v", err)
	}
	if len(list) != 21 {
		t.Errorf("got %d problems, want 21:\n%v", len(list), err)
	}
	testutil.Golden(t, "testdata/golden/analysis-invalid.txt", err.Error()+"\n")
}
