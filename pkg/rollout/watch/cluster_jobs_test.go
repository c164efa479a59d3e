package watch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// TestClusterJobs: a Job of the release that fails fails the release at
// its first failed or crash-looping pod, named, long before its
// backoffLimit (6 tries with a back-off of 10s, 20s, … here); a CronJob
// needs no pods to be healthy.
func TestClusterJobs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, manifest string
		wantPod        string // failing pod name prefix; "" = healthy
		reasons        []string
	}{
		{
			name: "a Job whose pod fails",
			manifest: `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 6
  template:
    metadata: {labels: {promote.test/job-result: failed}}
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: example.com/migrate:1}]`,
			wantPod: "migrate-", reasons: []string{"Error"},
		},
		{
			name: "a Job that crash-loops",
			manifest: `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 6
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: migrate, image: example.com/migrate:2-crashloop}]`,
			wantPod: "migrate-", reasons: []string{"CrashLoopBackOff", watch.ReasonRestartLimit},
		},
		{
			name: "a Job that completes",
			manifest: `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: example.com/migrate:1}]`,
		},
		{
			name: "a CronJob",
			manifest: `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: report, image: example.com/report:2-crashloop}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			r := e.watch(fast(), e.applyYAML(tt.manifest)...)
			if tt.wantPod == "" {
				if r.err != nil {
					t.Fatalf("Watch() = %v, want nil", r.err)
				}
				return
			}
			f := wantFailure(t, r.err, "Pod/"+e.ns+"/"+tt.wantPod, tt.reasons...)
			if f.Container != "migrate" {
				t.Errorf("failure %v: want container migrate named", f)
			}
			// Fail-fast, not the Job's own verdict: the Job controller would
			// still be retrying (its second try comes after 10s at the earliest).
			if strings.Contains(f.Reason, "BackoffLimitExceeded") {
				t.Errorf("failure %v came from the Job's backoffLimit, want the pod rule", f)
			}
		})
	}
}

// TestClusterStatefulSetUpdate: a StatefulSet that was healthy takes a
// crash-looping template; the failure names the pod of the new revision
// (the highest ordinal, which the controller replaces first), while the
// pods of the old revision keep running.
func TestClusterStatefulSetUpdate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	good := strings.NewReplacer("DBFATE", "ready", "AGENTFATE", "ready").Replace(kindsManifests)
	if r := e.watch(fast(), e.applyYAML(good)...); r.err != nil {
		t.Fatalf("first release: Watch() = %v, want nil", r.err)
	}
	bad := `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db, promote.test/fate: crashloop}}
    spec: {containers: [{name: db, image: example.com/db:2}]}`
	o := fast()
	o.Timeout = 30 * time.Second
	r := e.watch(o, e.applyYAML(bad)...)
	wantFailure(t, r.err, "Pod/"+e.ns+"/db-1", "CrashLoopBackOff", watch.ReasonRestartLimit)
}
