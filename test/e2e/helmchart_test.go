package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/registry"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// chartRegistry is an in-process OCI registry holding chart "web" at each
// version, pushed with Helm's registry client; it returns the registry and
// each version's manifest digest.
func chartRegistry(t *testing.T, versions ...string) (*httptest.Server, map[string]string) {
	t.Helper()
	srv := httptest.NewServer(ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	client, err := registry.NewClient(registry.ClientOptPlainHTTP(), registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "none.json")))
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	digests := map[string]string{}
	for _, v := range versions {
		c := &chart.Chart{
			Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "web", Version: v},
			Values:   map[string]interface{}{"tag": v},
			Templates: []*chart.File{{Name: "templates/deploy.yaml", Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {chart-version: {{ .Chart.Version | quote }}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "registry.example.com/shop/web:{{ .Values.tag }}"}]
`)}},
		}
		dir := t.TempDir()
		path, err := chartutil.Save(c, dir)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		res, err := client.Push(data, host+"/charts/web:"+v, registry.PushOptStrictMode(true))
		if err != nil {
			t.Fatalf("push web %s: %v", v, err)
		}
		digests[v] = res.Manifest.Digest
	}
	return srv, digests
}

// Given a chart in an OCI registry at 1.0.0 and 1.1.0, dev deploying the
// range ^1.0.0 and staging pinned at 1.0.0, When dev is applied and staging
// promoted with --write, Then dev records 1.1.0 with its digest, staging
// runs 1.1.0 pulled by that digest and records it, promote.yaml pins
// staging at 1.1.0 (comment kept), history shows it, diff --from is clean,
// and staging renders again from the cache once the registry is gone.
func TestPromoteHelmChartFromRegistry(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	srv, digests := chartRegistry(t, "1.0.0", "1.1.0")
	chartRef := "oci://" + strings.TrimPrefix(srv.URL, "http://") + "/charts/web"
	ns := map[string]string{"dev": c.Namespace(t, "chart-dev"), "staging": c.Namespace(t, "chart-staging")}
	dir, home := t.TempDir(), t.TempDir()
	testutil.WriteFiles(t, dir, map[string]string{"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: e2e}
spec:
  environments:
  - name: dev
    namespace: %[1]s
    source:
      helm: {chart: "%[3]s", version: ^1.0.0, plainHTTP: true}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s}
  - name: staging
    from: dev
    namespace: %[2]s
    source:
      helm:
        chart: "%[3]s"
        version: 1.0.0 # staging's pin
        plainHTTP: true
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s}
`, ns["dev"], ns["staging"], chartRef)})
	run := func(args ...string) result {
		t.Helper()
		if args[0] != "history" && args[0] != "diff" && args[0] != "render" {
			args = append(args, "--lock-lease", "3s")
		}
		cmd := exec.CommandContext(t.Context(), binary, append(args, "--kubeconfig", c.Kubeconfig)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "HELM_KUBECONTEXT=", "HELM_NAMESPACE=",
			"KUBECTL_PROMOTE_CHART_CACHE="+filepath.Join(home, "charts"),
			"HELM_REGISTRY_CONFIG="+filepath.Join(home, "registry.json"),
			"HELM_REPOSITORY_CONFIG="+filepath.Join(home, "repositories.yaml"),
			"HELM_REPOSITORY_CACHE="+filepath.Join(home, "repository"),
			"DOCKER_CONFIG="+filepath.Join(home, "docker"))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("run %v: %v", args, err)
		}
		return result{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
	}
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	chartOf := func(env string) (string, string) {
		t.Helper()
		rec, err := release.NewStore(client, ns[env], "e2e", env).Latest(t.Context(), release.Succeeded)
		if err != nil || rec == nil {
			t.Fatalf("%s has no succeeded release: %v", env, err)
		}
		d, err := client.AppsV1().Deployments(ns[env]).Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range rec.Artifacts {
			if a.Type == release.ArtifactChart {
				return a.Name + "@" + a.Ref, d.Labels["chart-version"]
			}
		}
		t.Fatalf("%s's record has no chart artifact: %+v", env, rec.Artifacts)
		return "", ""
	}
	want := "web@1.1.0@" + digests["1.1.0"]

	mustExit(t, run("apply", "dev"), 0)
	if recorded, running := chartOf("dev"); recorded != want || running != "1.1.0" {
		t.Fatalf("dev recorded %s and runs chart %s, want %s and 1.1.0", recorded, running, want)
	}
	res := run("staging", "--write", "--yes")
	mustExit(t, res, 0)
	if recorded, running := chartOf("staging"); recorded != want || running != "1.1.0" {
		t.Errorf("staging recorded %s and runs chart %s, want %s and 1.1.0", recorded, running, want)
	}
	if !strings.Contains(res.stderr, "chart web@1.1.0@"+digests["1.1.0"]) || !strings.Contains(res.stderr, "wrote promote.yaml") {
		t.Errorf("promotion does not name the chart or the file written:\n%s", res.stderr)
	}
	if file := readFile(t, filepath.Join(dir, "promote.yaml")); !strings.Contains(file, "        version: 1.1.0 # staging's pin\n") {
		t.Errorf("promote.yaml after --write:\n%s", file)
	}
	hist := run("history", "staging")
	mustExit(t, hist, 0)
	if short := "web@1.1.0@" + digests["1.1.0"][:len("sha256:")+12]; !strings.Contains(hist.stdout, short) {
		t.Errorf("history does not show %s:\n%s", short, hist.stdout)
	}
	mustExit(t, run("diff", "staging", "--from", "dev"), 0)

	srv.Close()
	render := run("render", "staging")
	mustExit(t, render, 0)
	if !strings.Contains(render.stdout, `chart-version: 1.1.0`) {
		t.Errorf("staging rendered from the cache without the chart at 1.1.0:\n%s", render.stdout)
	}
}
