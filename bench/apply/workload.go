package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/bench/internal/benchkit"
)

// The pipeline and environment of the benchmark's releases.
const (
	pipelineName = "bench"
	envName      = "perf"
)

// workload is the release: n objects, as files for kubectl and the binary.
type workload struct {
	dir string
	n   int
}

// objects returns the release's objects in namespace ns ("" for none):
// a quarter each ConfigMaps, Secrets, headless Services and one-replica
// Deployments reading the ConfigMap and the Secret of their number.
func (w *workload) objects(ns string) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, w.n)
	for i := range w.n {
		name := fmt.Sprintf("app-%04d", i/4)
		var doc string
		switch i % 4 {
		case 0:
			doc = fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, metadata: {name: %s}, data: {LOG_LEVEL: info, settings.yaml: "limits: {cpu: 1}\n"}}`, name)
		case 1:
			token := base64.StdEncoding.EncodeToString([]byte("token-" + name))
			doc = fmt.Sprintf(`{apiVersion: v1, kind: Secret, metadata: {name: %s}, data: {TOKEN: %s}}`, name, token)
		case 2:
			doc = fmt.Sprintf(`{apiVersion: v1, kind: Service, metadata: {name: %s},
spec: {clusterIP: None, selector: {app: %s}, ports: [{name: http, port: 80, targetPort: 8080}]}}`, name, name)
		default:
			doc = fmt.Sprintf(`{apiVersion: apps/v1, kind: Deployment, metadata: {name: %s, labels: {app: %s}},
spec: {replicas: 1, selector: {matchLabels: {app: %s}}, template: {metadata: {labels: {app: %s}},
spec: {containers: [{name: app, image: "registry.test/bench/app:1.0", ports: [{containerPort: 8080}],
envFrom: [{configMapRef: {name: %s}}, {secretRef: {name: %s}}],
resources: {requests: {cpu: 10m, memory: 16Mi}}}]}}}}`, name, name, name, name, name, name)
		}
		u := benchkit.Parse(doc)
		if ns != "" {
			u.SetNamespace(ns)
		}
		out = append(out, u)
	}
	return out
}

// files is the directory of one manifest per object, without namespaces.
func (w *workload) files() string { return filepath.Join(w.dir, "app", "manifests") }

// write writes the manifests and a kustomization over them.
func (w *workload) write() error {
	if err := os.MkdirAll(w.files(), 0o755); err != nil {
		return err
	}
	var resources []string
	for _, u := range w.objects("") {
		b, err := yaml.Marshal(u.Object)
		if err != nil {
			return err
		}
		name := strings.ToLower(u.GetKind()) + "-" + u.GetName() + ".yaml"
		if err := os.WriteFile(filepath.Join(w.files(), name), b, 0o644); err != nil {
			return err
		}
		resources = append(resources, "- manifests/"+name)
	}
	kustomization := "resources:\n" + strings.Join(resources, "\n") + "\n"
	return os.WriteFile(filepath.Join(w.dir, "app", "kustomization.yaml"), []byte(kustomization), 0o644)
}

// pipeline writes a promote.yaml whose environment deploys the files into
// ns and returns its path.
func (w *workload) pipeline(ns string) (string, error) {
	path := filepath.Join(w.dir, "promote-"+ns+".yaml")
	p := fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: %s}
spec:
  environments:
  - name: %s
    namespace: %s
    source: {kustomize: {path: app}}
    health: {verify: 1ms}
`, pipelineName, envName, ns)
	return path, os.WriteFile(path, []byte(p), 0o644)
}
