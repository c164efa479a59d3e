package diff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// The live objects in testdata/noop were server-side applied as
// kubectl-promote from this render (cpu 0.5, stored as "500m"), then read
// back with their managed fields.
const noopRender = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: mf, namespace: default, labels: {app: mf}}
spec:
  replicas: 0
  selector: {matchLabels: {app: mf}}
  template:
    metadata: {labels: {app: mf}}
    spec:
      containers:
      - name: app
        image: x:1
        ports: [{containerPort: 8080}]
        resources: {requests: {cpu: 500m, memory: 16Mi}}
        args: [a, b]
---
apiVersion: v1
kind: Service
metadata: {name: mf, namespace: default}
spec: {selector: {app: mf}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: mf, namespace: default}
data: {a: b}
`

func TestProvenUnchanged(t *testing.T) {
	docs := strings.Split(noopRender, "---")
	deploy, svc, cm := docs[0], docs[1], docs[2]
	tests := []struct {
		name, live, render, manager string
		want                        bool
	}{
		{"deployment as applied", "deployment", deploy, kube.FieldManager, true},
		{"service as applied, protocol defaulted in the key", "service", svc, kube.FieldManager, true},
		{"configmap as applied", "configmap", cm, kube.FieldManager, true},
		{"integers given as floats", "deployment", strings.Replace(deploy, "replicas: 0", "replicas: 0.0", 1), kube.FieldManager, true},
		{"another manager", "configmap", cm, "helm", false},
		{"a changed value", "deployment", strings.Replace(deploy, "image: x:1", "image: x:2", 1), kube.FieldManager, false},
		{"a value the server rewrites", "deployment", strings.Replace(deploy, "cpu: 500m", "cpu: 0.5", 1), kube.FieldManager, false},
		{"a field added", "configmap", strings.Replace(cm, "{a: b}", "{a: b, c: d}", 1), kube.FieldManager, false},
		{"a field dropped: apply would remove it", "deployment", strings.Replace(deploy, "args: [a, b]", "", 1), kube.FieldManager, false},
		{"an atomic list changed", "deployment", strings.Replace(deploy, "args: [a, b]", "args: [b, a]", 1), kube.FieldManager, false},
		{"a list item added", "service", strings.Replace(svc, "targetPort: 8080}]", "targetPort: 8080}, {name: x, port: 81}]", 1), kube.FieldManager, false},
		{"a label added", "configmap", strings.Replace(cm, "namespace: default}", "namespace: default, labels: {a: b}}", 1), kube.FieldManager, false},
		{"another apiVersion", "deployment", strings.Replace(deploy, "apps/v1", "apps/v1beta2", 1), kube.FieldManager, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := readLive(t, tt.live)
			if got := ProvenUnchanged(live, obj(t, tt.render), tt.manager); got != tt.want {
				t.Errorf("ProvenUnchanged() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProvenUnchangedRefusesTerminatingObjects(t *testing.T) {
	live := readLive(t, "configmap")
	live.Object["metadata"].(map[string]any)["deletionTimestamp"] = "2026-01-01T00:00:00Z"
	if ProvenUnchanged(live, obj(t, strings.Split(noopRender, "---")[2]), kube.FieldManager) {
		t.Error("ProvenUnchanged() = true for an object being deleted")
	}
}

func readLive(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "noop", name+"-live.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return obj(t, string(b))
}
