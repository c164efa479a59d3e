package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// benchCase is a set of environments rendered together and timed as one.
type benchCase struct {
	name string
	envs []envRef
}

// envRef is one environment of one pipeline file.
type envRef struct {
	p   *pipeline.Pipeline
	env *pipeline.Environment
}

// prepare lists the example pipelines' environments (one case per example)
// and generates the large inputs under dir (one case each).
func prepare(cfg config, dir string) ([]benchCase, error) {
	files, err := filepath.Glob(filepath.Join(cfg.examples, "*", pipeline.FileName))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no %s under %s/*: run from the repository root", pipeline.FileName, cfg.examples)
	}
	sort.Strings(files)
	var cases []benchCase
	for _, f := range files {
		p, err := pipeline.Load(f)
		if err != nil {
			// Not every promote.yaml under examples/ is a pipeline (examples/ci
			// holds a CI workflow of that name).
			fmt.Fprintf(os.Stderr, "skipping %s: not a pipeline file\n", f)
			continue
		}
		bc := benchCase{name: fmt.Sprintf("examples/%s (%d envs)", filepath.Base(filepath.Dir(f)), len(p.Spec.Environments))}
		for i := range p.Spec.Environments {
			bc.envs = append(bc.envs, envRef{p: p, env: &p.Spec.Environments[i]})
		}
		cases = append(cases, bc)
	}
	file, names, err := generate(dir, cfg.resources)
	if err != nil {
		return nil, err
	}
	p, err := pipeline.Load(file)
	if err != nil {
		return nil, err
	}
	for i := range p.Spec.Environments {
		env := &p.Spec.Environments[i]
		cases = append(cases, benchCase{name: names[env.Name], envs: []envRef{{p: p, env: env}}})
	}
	return cases, nil
}

// generate writes a Kustomize base+overlay and a Helm chart of about n
// resources each, and a pipeline file with an environment for each; it
// returns the file and a description of each environment.
func generate(dir string, n int) (string, map[string]string, error) {
	apps := (n + 4) / 5
	if err := writeKustomize(filepath.Join(dir, "kustomize"), apps); err != nil {
		return "", nil, err
	}
	if err := writeChart(filepath.Join(dir, "chart"), apps); err != nil {
		return "", nil, err
	}
	file := filepath.Join(dir, pipeline.FileName)
	if err := os.WriteFile(file, []byte(pipelineFile), 0o644); err != nil {
		return "", nil, err
	}
	return file, map[string]string{
		"kustomize": fmt.Sprintf("generated kustomize overlay (%d resources)", apps*5+1),
		"helm":      fmt.Sprintf("generated helm chart (%d resources)", apps*5),
	}, nil
}

const pipelineFile = `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: bench}
spec:
  environments:
  - name: kustomize
    namespace: bench
    source: {kustomize: {path: kustomize/overlay}}
  - name: helm
    namespace: bench
    source: {helm: {chart: chart, values: [chart/values-bench.yaml], set: {image.tag: "2.0.1"}}}
`

// writeKustomize writes base/app-NNNN.yaml (five resources per app: a
// Deployment, its Service, ConfigMap, ServiceAccount and Ingress) and an
// overlay that does what real overlays do: namespace, name prefix (so every
// name reference is rewritten), labels, an image override, a patch on every
// Deployment, replicas and a generated ConfigMap.
func writeKustomize(dir string, apps int) error {
	base := filepath.Join(dir, "base")
	overlay := filepath.Join(dir, "overlay")
	for _, d := range []string{base, overlay} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var list strings.Builder
	list.WriteString("resources:\n")
	for i := 0; i < apps; i++ {
		name := fmt.Sprintf("app-%04d", i)
		list.WriteString("- " + name + ".yaml\n")
		if err := os.WriteFile(filepath.Join(base, name+".yaml"), []byte(appYAML(name)), 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(base, "kustomization.yaml"), []byte(list.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(overlayYAML), 0o644)
}

func appYAML(name string) string {
	return strings.ReplaceAll(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
  labels: {app.kubernetes.io/name: NAME}
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: NAME}
  template:
    metadata:
      labels: {app.kubernetes.io/name: NAME}
    spec:
      serviceAccountName: NAME
      containers:
      - name: app
        image: registry.example.com/bench/app:1.0.0
        ports: [{name: http, containerPort: 8080}]
        envFrom: [{configMapRef: {name: NAME}}, {configMapRef: {name: shared}}]
        readinessProbe: {httpGet: {path: /healthz, port: http}}
        resources: {requests: {cpu: 10m, memory: 16Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: NAME
spec:
  selector: {app.kubernetes.io/name: NAME}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: NAME
data: {LOG_LEVEL: info, APP: NAME}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: NAME
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: NAME
spec:
  rules:
  - host: NAME.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: NAME, port: {name: http}}}
`, "NAME", name)
}

const overlayYAML = `namespace: bench
namePrefix: prod-
resources:
- ../base
labels:
- pairs: {app.kubernetes.io/part-of: bench, env: prod}
images:
- name: registry.example.com/bench/app
  newTag: 2.0.1
replicas:
- name: app-0000
  count: 3
configMapGenerator:
- name: shared
  literals: [REGION=eu, TIER=gold]
patches:
- target: {kind: Deployment}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: any}
    spec:
      template:
        spec:
          containers:
          - name: app
            resources: {limits: {memory: 64Mi}}
`

// writeChart writes a chart that renders the same five resources per app
// from values, through named templates, as real charts do.
func writeChart(dir string, apps int) error {
	files := map[string]string{
		"Chart.yaml":                "apiVersion: v2\nname: bench\nversion: 1.0.0\nappVersion: 1.0.0\n",
		"values.yaml":               fmt.Sprintf("apps: %d\nimage: {repository: registry.example.com/bench/app, tag: \"\"}\nreplicas: 1\n", apps),
		"values-bench.yaml":         "replicas: 2\nlogLevel: info\n",
		"templates/_helpers.tpl":    chartHelpers,
		"templates/deployment.yaml": chartDeployment,
		"templates/others.yaml":     chartOthers,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

const chartHelpers = `{{- define "bench.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}
`

const chartDeployment = `{{- range $i := until (int .Values.apps) }}
{{- $name := printf "app-%04d" $i }}
{{- $ctx := dict "name" $name "root" $ }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "bench.labels" $ctx | nindent 4 }}
spec:
  replicas: {{ $.Values.replicas }}
  selector:
    matchLabels: {app.kubernetes.io/name: {{ $name }}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: {{ $name }}}
    spec:
      serviceAccountName: {{ $name }}
      containers:
      - name: app
        image: "{{ $.Values.image.repository }}:{{ $.Values.image.tag | default $.Chart.AppVersion }}"
        ports: [{name: http, containerPort: 8080}]
        envFrom: [{configMapRef: {name: {{ $name }}}}]
        readinessProbe: {httpGet: {path: /healthz, port: http}}
        resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 64Mi}}
{{- end }}
`

const chartOthers = `{{- range $i := until (int .Values.apps) }}
{{- $name := printf "app-%04d" $i }}
{{- $ctx := dict "name" $name "root" $ }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "bench.labels" $ctx | nindent 4 }}
spec:
  selector: {app.kubernetes.io/name: {{ $name }}}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name }}
  labels:
    {{- include "bench.labels" $ctx | nindent 4 }}
data:
  LOG_LEVEL: {{ $.Values.logLevel | quote }}
  APP: {{ $name }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $name }}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $name }}
  labels:
    {{- include "bench.labels" $ctx | nindent 4 }}
spec:
  rules:
  - host: {{ $name }}.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: {{ $name }}, port: {name: http}}}
{{- end }}
`
