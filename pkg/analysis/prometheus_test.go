package analysis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/analysis"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/test/prometheus"
)

// errorRateCheck fails once the exporter's error rate passes 5%.
func errorRateCheck(address string, count int) *pipeline.Analysis {
	return &pipeline.Analysis{Checks: []pipeline.Check{{
		Name:             "error-rate",
		Provider:         pipeline.Provider{Prometheus: &pipeline.PrometheusProvider{Address: address, Query: prometheus.ErrorRateQuery}},
		Interval:         pipeline.Duration(time.Second),
		Count:            count,
		FailureCondition: "result[0] > 0.05",
	}}}
}

// TestPrometheusErrorRate runs a real Prometheus scraping an exporter:
// a healthy error rate passes; a rising one fails with the measured value.
func TestPrometheusErrorRate(t *testing.T) {
	exp := prometheus.NewExporter(t)
	exp.SetErrorRate(0.01)
	prom := prometheus.Start(t, prometheus.Host(exp.URL))
	waitForData(t, prom.Address)

	res, err := analysis.Run(t.Context(), errorRateCheck(prom.Address, 3), analysis.Vars{}, analysis.Clients{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != analysis.Successful {
		t.Fatalf("healthy error rate: %s: %s", res.Phase, res.Message)
	}

	exp.SetErrorRate(0.4)
	res, err = analysis.Run(t.Context(), errorRateCheck(prom.Address, 20), analysis.Vars{}, analysis.Clients{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != analysis.Failed {
		t.Fatalf("rising error rate: %s: %s", res.Phase, res.Message)
	}
	if n := len(res.Checks[0].Measurements); n >= 20 {
		t.Errorf("the failure took all %d measurements", n)
	}
	msg := res.Err().Error()
	if !strings.Contains(msg, `error-rate: result [0.`) || !strings.Contains(msg, `failureCondition "result[0] > 0.05"`) {
		t.Errorf("reason lacks the measured value: %s", msg)
	}
	t.Logf("reason: %s", msg)
}

// TestPrometheusQueryError: a bad query is an Error, with Prometheus' reason.
func TestPrometheusQueryError(t *testing.T) {
	prom := prometheus.Start(t)
	a := errorRateCheck(prom.Address, 1)
	a.Checks[0].Provider.Prometheus.Query = "sum(rate(x[5s]"
	res, err := analysis.Run(t.Context(), a, analysis.Vars{}, analysis.Clients{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != analysis.Error || !strings.Contains(res.Message, "bad_data") {
		t.Fatalf("got %s: %s", res.Phase, res.Message)
	}
}

// waitForData waits until the error-rate query has a value (two scrapes).
func waitForData(t *testing.T, address string) {
	t.Helper()
	a := errorRateCheck(address, 1)
	a.Checks[0].FailureCondition, a.Checks[0].SuccessCondition = "", "len(result) > 0"
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := analysis.Run(t.Context(), a, analysis.Vars{}, analysis.Clients{}, nil)
		if err == nil && res.Phase == analysis.Successful {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no error-rate data from Prometheus: %v %+v", err, res)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
