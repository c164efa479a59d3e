package watch_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// manifests of the kinds test; DBFATE and AGENTFATE are pod fates.
const kindsManifests = `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db, promote.test/fate: DBFATE}}
    spec: {containers: [{name: db, image: example.com/db:1}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent, promote.test/fate: AGENTFATE}}
    spec: {containers: [{name: agent, image: example.com/agent:1}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: example.com/migrate:1}]
`

// applyYAML server-side applies the documents of manifests into the test's
// namespace and returns them as applied.
func (e *env) applyYAML(manifests string) []*unstructured.Unstructured {
	e.t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(manifests, "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			e.t.Fatal(err)
		}
		u.SetNamespace(e.ns)
		gvk := u.GroupVersionKind()
		m, err := e.clients.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			e.t.Fatal(err)
		}
		body, err := json.Marshal(u.Object)
		if err != nil {
			e.t.Fatal(err)
		}
		force := true
		got, err := e.clients.Dynamic.Resource(m.Resource).Namespace(e.ns).Patch(e.t.Context(), u.GetName(), types.ApplyPatchType, body,
			metav1.PatchOptions{FieldManager: "watch-test", Force: &force})
		if err != nil {
			e.t.Fatalf("apply %s/%s/%s: %v", gvk.Kind, e.ns, u.GetName(), err)
		}
		out = append(out, got)
	}
	return out
}

// TestClusterKinds: readiness of any kind is kstatus's (a Job must
// complete, a StatefulSet and a DaemonSet roll out), and the pod rules
// apply to StatefulSet and DaemonSet pods too.
func TestClusterKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, db, agent string
		wantPod         string // failing pod name prefix, or "" for healthy
	}{
		{name: "all ready", db: "ready", agent: "ready"},
		{name: "StatefulSet crash-loops", db: "crashloop", agent: "ready", wantPod: "db-"},
		{name: "DaemonSet crash-loops", db: "ready", agent: "crashloop", wantPod: "agent-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			m := strings.NewReplacer("DBFATE", tt.db, "AGENTFATE", tt.agent).Replace(kindsManifests)
			r := e.watch(fast(), e.applyYAML(m)...)
			if tt.wantPod == "" {
				if r.err != nil {
					t.Fatalf("Watch() = %v, want nil", r.err)
				}
				return
			}
			wantFailure(t, r.err, "Pod/"+e.ns+"/"+tt.wantPod, "CrashLoopBackOff", watch.ReasonRestartLimit)
		})
	}
}

// TestClusterControllerFailures: failures that no pod status shows: pods
// that no node can take (after the grace) and a ReplicaSet that may not
// create pods (a quota).
func TestClusterControllerFailures(t *testing.T) {
	t.Parallel()
	t.Run("unschedulable", func(t *testing.T) {
		e := setup(t)
		m := `apiVersion: apps/v1
kind: Deployment
metadata: {name: picky}
spec:
  replicas: 1
  selector: {matchLabels: {app: picky}}
  template:
    metadata: {labels: {app: picky}}
    spec:
      nodeSelector: {no-such-node: "true"}
      containers: [{name: app, image: example.com/app:1}]`
		o := fast()
		o.UnschedulableGrace = 2 * time.Second
		r := e.watch(o, e.applyYAML(m)...)
		wantFailure(t, r.err, "Pod/"+e.ns+"/picky-", watch.ReasonUnschedulable)
	})
	t.Run("quota", func(t *testing.T) {
		e := setup(t)
		m := `apiVersion: v1
kind: ResourceQuota
metadata: {name: no-pods}
spec: {hard: {pods: "0"}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: over}
spec:
  replicas: 1
  selector: {matchLabels: {app: over}}
  template:
    metadata: {labels: {app: over}}
    spec: {containers: [{name: app, image: example.com/app:1}]}`
		r := e.watch(fast(), e.applyYAML(m)...)
		f := wantFailure(t, r.err, "", "FailedCreate")
		if !strings.HasPrefix(f.Object, "ReplicaSet/"+e.ns+"/over-") && f.Object != "Deployment/"+e.ns+"/over" {
			t.Errorf("failure of %s, want the Deployment or its ReplicaSet", f.Object)
		}
	})
}
