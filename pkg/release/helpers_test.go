package release

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// t0 is a fixed time with microsecond precision, like a Lease's MicroTime.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC)

// secretMarker is a secret value planted in test manifests: it must never
// show in an error.
const secretMarker = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"

// testRecord returns a record with every field set.
func testRecord(t *testing.T, rev int, status Status) *Record {
	t.Helper()
	return &Record{
		Pipeline: "shop", Environment: "prod", Namespace: "shop", Revision: rev, Status: status,
		Artifacts: []Artifact{{Type: ArtifactImage, Name: "registry.example/shop/web",
			Ref: "registry.example/shop/web:1.2.3@sha256:" + strings.Repeat("ab", 32)}},
		Source:   &Source{Environment: "staging", Revision: 4},
		Strategy: "canary",
		Manifest: "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\ndata: {password: " + secretMarker + "}\n",
		Inventory: []kube.ObjectRef{{Version: "v1", Kind: "Secret", Namespace: "shop", Name: "db"},
			{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}},
		User: "alice", Host: "laptop", CIJobURL: "https://ci.example/job/1", GitCommit: "0123abc", Approver: "bob",
		Started: t0, Finished: t0.Add(90 * time.Second), HealthySince: t0.Add(80 * time.Second),
		Reason:       "promoted from staging",
		Failure:      &Failure{Object: "Pod/shop/web-1", Container: "web", Reason: "CrashLoopBackOff", Message: "back-off"},
		DiffSummary:  "1 changed",
		Gates:        []GateResult{{Name: "approval", Passed: true, Message: "approved by bob", At: t0}},
		RolledBackTo: 3,
	}
}

// bigManifest renders n objects (Deployments, Services and ConfigMaps in
// turn) shaped like a real application's, with distinct names and digests.
func bigManifest(n int) (string, []kube.ObjectRef) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	refs := make([]kube.ObjectRef, 0, n)
	for i := range n {
		name := fmt.Sprintf("svc-%04d", i/3)
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, deploymentYAML, name, name, name, name, name, rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64(), 100+rng.IntN(900))
			refs = append(refs, kube.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: name})
		case 1:
			fmt.Fprintf(&b, serviceYAML, name, name, name, 8000+rng.IntN(1000))
			refs = append(refs, kube.ObjectRef{Version: "v1", Kind: "Service", Namespace: "shop", Name: name})
		default:
			fmt.Fprintf(&b, configMapYAML, name, name, rng.Uint64(), rng.Uint64())
			refs = append(refs, kube.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: name + "-config"})
		}
	}
	return b.String(), refs
}

const deploymentYAML = `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: shop
  labels: {app.kubernetes.io/name: %s, app.kubernetes.io/part-of: shop, promote.kubectl-plugin.dev/pipeline: shop}
spec:
  replicas: 3
  selector:
    matchLabels: {app.kubernetes.io/name: %s}
  template:
    metadata:
      labels: {app.kubernetes.io/name: %s, app.kubernetes.io/part-of: shop}
    spec:
      containers:
      - name: app
        image: registry.example/shop/%s@sha256:%016x%016x%016x%016x
        ports: [{containerPort: 8080, name: http}]
        resources:
          requests: {cpu: %dm, memory: 128Mi}
          limits: {memory: 256Mi}
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 5}
        env:
        - {name: LOG_LEVEL, value: info}
        - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://otel-collector.observability:4317"}
`

const serviceYAML = `---
apiVersion: v1
kind: Service
metadata:
  name: %s
  namespace: shop
  labels: {app.kubernetes.io/name: %s, app.kubernetes.io/part-of: shop}
spec:
  selector: {app.kubernetes.io/name: %s}
  ports: [{name: http, port: %d, targetPort: http}]
`

const configMapYAML = `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: %s-config
  namespace: shop
  labels: {app.kubernetes.io/name: %s, app.kubernetes.io/part-of: shop}
data:
  settings.yaml: |
    featureFlags: {newCheckout: true, recommendations: false}
    cacheTTL: 30s
    build: %016x%016x
`
