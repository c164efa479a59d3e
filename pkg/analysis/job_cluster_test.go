package analysis_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/pkg/analysis"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// Tests named TestCluster… run on the shared local cluster.
func TestMain(m *testing.M) { localcluster.Main(m) }

// jobCheck is a job check whose pod has the given fate label ("" = it
// completes) and the deadline after which the Job fails.
func jobCheck(fate string, deadline int) *pipeline.Analysis {
	labels := map[string]string{"app": "smoke"}
	switch fate {
	case "":
	case "failed":
		// stages/pod-job-fail.yaml: the pod exits 1.
		labels["promote.test/job-result"] = "failed"
	default:
		labels[localcluster.FateLabel] = fate
	}
	spec, _ := json.Marshal(map[string]any{
		"backoffLimit":          0,
		"activeDeadlineSeconds": deadline,
		"template": map[string]any{
			"metadata": map[string]any{"labels": labels},
			"spec": map[string]any{"containers": []any{map[string]any{
				"name": "smoke", "image": "registry.example.com/smoke:1", "args": []string{"http://web.{{namespace}}/healthz"},
			}}},
		},
	})
	return &pipeline.Analysis{Checks: []pipeline.Check{{Name: "smoke", Provider: pipeline.Provider{Job: &pipeline.JobProvider{Spec: spec}}}}}
}

// Given a job check on the local cluster, When its Job's pod completes,
// Then the check passes; When the pod fails, or never finishes and the Job
// fails by its deadline, Then the check fails with the Job's reason. Either
// way the Job is deleted afterwards.
func TestClusterJobCheck(t *testing.T) {
	c := localcluster.Shared(t)
	kube, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ns := c.Namespace(t, "analysis")
	vars := analysis.Vars{Env: "staging", Namespace: ns}
	tests := []struct {
		name  string
		a     *pipeline.Analysis
		phase analysis.Phase
		msg   string
	}{
		{"completes", jobCheck("", 60), analysis.Successful, "smoke: passed"},
		{"pod fails", jobCheck("failed", 60), analysis.Failed, "Failed BackoffLimitExceeded"},
		{"deadline", jobCheck(localcluster.FateNeverReady, 2), analysis.Failed, "Failed DeadlineExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := analysis.Run(t.Context(), tt.a, vars, analysis.Clients{Kube: kube}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Phase != tt.phase || !strings.Contains(res.Message, tt.msg) {
				t.Fatalf("got %s: %s; want %s with %q", res.Phase, res.Message, tt.phase, tt.msg)
			}
			waitNoJobs(t, kube, ns)
		})
	}
}

func waitNoJobs(t *testing.T, kube kubernetes.Interface, ns string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := kube.BatchV1().Jobs(ns).List(t.Context(), metav1.ListOptions{LabelSelector: analysis.LabelCheck})
		if err == nil && len(list.Items) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("analysis Jobs left behind: %v %v", err, list)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
