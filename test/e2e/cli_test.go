// Package e2e runs the built kubectl-promote binary the way a person does and
// checks what it prints, its exit code and what it leaves on disk.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// binary is the kubectl-promote built once by TestMain.
var binary string

// TestMain builds the binary into a temporary directory, runs the tests,
// stops the shared local cluster if a cluster test started it, and removes
// the binary. The TestCLI… tests need no cluster.
func TestMain(m *testing.M) {
	flag.Parse()
	var remove func()
	var err error
	if binary, remove, err = testutil.BuildBinary(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	if err := localcluster.StopShared(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "stop the shared cluster: %v\n", err)
		code = 1
	}
	cancel()
	remove()
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// promote runs the binary in dir with args, no kubeconfig and no terminal.
func promote(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(dir, "no-kubeconfig"), "NO_COLOR=1",
		"HELM_KUBECONTEXT=", "HELM_NAMESPACE=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
}

// snapshot lists every file under dir with its size and modification time,
// to prove that a failed command wrote nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files[path] = fmt.Sprintf("%d %s", info.Size(), info.ModTime().Format(time.RFC3339Nano))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

const kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"

// overlays are the directories every bad-pipeline case has, so that only
// the problem under test is reported.
var overlays = map[string]string{
	"overlays/dev/kustomization.yaml":     kustomization,
	"overlays/staging/kustomization.yaml": kustomization,
	"overlays/prod/kustomization.yaml":    kustomization,
}

const header = "apiVersion: promote.kubectl-plugin.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: shop}\nspec:\n  environments:\n"

func env(name, from, path string) string {
	s := "  - name: " + name + "\n"
	if from != "" {
		s += "    from: " + from + "\n"
	}
	return s + "    namespace: shop-" + name + "\n    source: {kustomize: {path: " + path + "}}\n"
}

// helmEnv is a dev environment rendered from the chart of helmChart.
const helmEnv = "  - name: dev\n    namespace: shop-dev\n    source: {helm: {chart: chart, values: [chart/values-dev.yaml]}}\n"

// helmChart is a minimal chart with one template, with file replaced by content.
func helmChart(file, content string) map[string]string {
	files := map[string]string{
		"chart/Chart.yaml":        "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"chart/values.yaml":       "a: b\n",
		"chart/values-dev.yaml":   "a: c\n",
		"chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: {{ .Values.a }}}\n",
	}
	files["chart/"+file] = content
	return files
}

// TestCLIBadPipeline: every problem in promote.yaml names the file (and
// line), exits 2, prints nothing on stdout and changes nothing, whichever
// command reads the file.
func TestCLIBadPipeline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pipeline string
		files    map[string]string // beside the default overlays
		args     []string
	}{
		{name: "malformed-yaml", pipeline: header + env("dev", "", "overlays/dev") + "    strategy: {canary: {steps: [{weight: 20}\n"},
		{name: "unknown-field", pipeline: header + env("dev", "", "overlays/dev") + "    replicas: 3\n"},
		{name: "missing-overlay", pipeline: header + env("dev", "", "overlays/dev") + env("staging", "dev", "overlays/stagin")},
		{name: "from-cycle", pipeline: header + env("dev", "prod", "overlays/dev") + env("staging", "dev", "overlays/staging") + env("prod", "staging", "overlays/prod")},
		{name: "duplicate-env", pipeline: header + env("dev", "", "overlays/dev") + env("dev", "", "overlays/staging")},
		{name: "reserved-env", pipeline: header + env("dev", "", "overlays/dev") + env("status", "dev", "overlays/staging")},
		{name: "several-problems", pipeline: header + env("dev", "dev", "overlays/dev") + env("apply", "qa", "overlays/none")},
		{name: "unknown-env", pipeline: header + env("dev", "", "overlays/dev") + env("staging", "dev", "overlays/staging"),
			args: []string{"render", "stagin"}},
		{name: "no-pipeline-file", args: []string{"envs"}},
		{name: "malformed-overlay", pipeline: header + env("dev", "", "overlays/dev"),
			files: map[string]string{"overlays/dev/kustomization.yaml": kustomization + "resources: [deployment.yaml\n"},
			args:  []string{"render", "dev"}},
		{name: "values-not-yaml", pipeline: header + helmEnv, files: helmChart("values-dev.yaml", "replicas: [1\n"),
			args: []string{"render", "dev"}},
		{name: "template-error", pipeline: header + helmEnv,
			files: helmChart("templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: {{ .Values.a | nosuchfunc }}}\n"),
			args:  []string{"render", "dev"}},
		{name: "bad-flag", pipeline: header + env("dev", "", "overlays/dev"), args: []string{"envs", "--bogus"}},
		{name: "bad-output", pipeline: header + env("dev", "", "overlays/dev"), args: []string{"envs", "-o", "xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			testutil.WriteFiles(t, dir, overlays)
			testutil.WriteFiles(t, dir, tt.files)
			if tt.pipeline != "" {
				testutil.WriteFiles(t, dir, map[string]string{"promote.yaml": tt.pipeline})
			}
			commands := [][]string{tt.args}
			if tt.args == nil {
				commands = [][]string{{"envs"}, {"render", "dev"}}
			}
			before := snapshot(t, dir)
			var first string
			for _, args := range commands {
				res := promote(t, dir, args...)
				if res.code != 2 || res.stdout != "" {
					t.Errorf("%v: exit %d, stdout %q; want exit 2 and nothing on stdout", args, res.code, res.stdout)
				}
				res.stderr = strings.ReplaceAll(res.stderr, dir, "$DIR")
				if first == "" {
					first = res.stderr
					testutil.Golden(t, filepath.Join("testdata", tt.name+".stderr"), res.stderr)
				} else if res.stderr != first {
					t.Errorf("%v: stderr differs from %v's:\n%s", args, commands[0], res.stderr)
				}
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("files changed (-before +after):\n%s", diff)
			}
		})
	}
}

// TestCLIInit writes promote.yaml from temporary layouts through the binary.
func TestCLIInit(t *testing.T) {
	t.Parallel()
	chart := "apiVersion: v2\nname: shop\nversion: 0.1.0\n"
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  []string // environment names in order
	}{
		{name: "kustomize", files: map[string]string{
			"overlays/prod/kustomization.yaml":    kustomization,
			"overlays/dev/kustomization.yaml":     kustomization,
			"overlays/staging/kustomization.yaml": kustomization,
		}, args: []string{"init"}, want: []string{"dev", "staging", "prod"}},
		{name: "kustomize-nested-ordering", files: map[string]string{
			"deploy/overlays/production/kustomization.yaml":  kustomization,
			"deploy/overlays/uat/kustomization.yaml":         kustomization,
			"deploy/overlays/perf/kustomization.yaml":        kustomization,
			"deploy/overlays/qa/kustomization.yaml":          kustomization,
			"deploy/overlays/development/kustomization.yaml": kustomization,
			"deploy/overlays/canary/kustomization.yaml":      kustomization,
			"deploy/base/kustomization.yaml":                 kustomization,
		}, args: []string{"init", "."}, want: []string{"development", "qa", "canary", "perf", "uat", "production"}},
		{name: "helm", files: map[string]string{
			"Chart.yaml": chart, "values.yaml": "a: 1\n",
			"values-production.yaml": "a: 3\n", "values-stage.yaml": "a: 2\n", "values-test.yaml": "a: 0\n",
		}, args: []string{"init"}, want: []string{"test-env", "stage", "production"}}, // test is a command
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "shop")
			testutil.WriteFiles(t, dir, tt.files)
			res := promote(t, dir, tt.args...)
			if res.code != 0 || res.stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", res.code, res.stdout, res.stderr)
			}
			if !strings.HasPrefix(res.stderr, "wrote promote.yaml from the ") {
				t.Errorf("stderr does not say what was written:\n%s", res.stderr)
			}
			p, err := pipeline.Load(filepath.Join(dir, "promote.yaml"))
			if err == nil {
				err = p.Validate()
			}
			if err != nil {
				t.Fatalf("written promote.yaml does not validate: %v", err)
			}
			if diff := cmp.Diff(tt.want, p.Names()); diff != "" {
				t.Errorf("environment order mismatch (-want +got):\n%s", diff)
			}
			for i, e := range p.Spec.Environments {
				from := ""
				if i > 0 {
					from = tt.want[i-1]
				}
				if e.From != from || e.Namespace != "shop-"+e.Name || e.Strategy.Name() != "rolling" {
					t.Errorf("environment %s: from %q, namespace %q, strategy %s", e.Name, e.From, e.Namespace, e.Strategy.Name())
				}
			}
			// The file now lists the environments, and a second init refuses.
			// No cluster here: the table is printed, and the exit code says
			// the clusters did not answer.
			if res := promote(t, dir, "envs", "--probe-timeout", "1ms"); res.code != 3 || !strings.Contains(res.stdout, "ENVIRONMENT") {
				t.Errorf("envs on the written file: exit %d, want 3 and the table\n%s", res.code, res.stderr)
			}
			before := snapshot(t, dir)
			again := promote(t, dir, tt.args...)
			if again.code != 2 || !strings.Contains(again.stderr, "already exists; pass --force to overwrite it") {
				t.Errorf("second init: exit %d, stderr %q", again.code, again.stderr)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("second init changed files (-before +after):\n%s", diff)
			}
			if forced := promote(t, dir, append(tt.args, "--force")...); forced.code != 0 {
				t.Errorf("init --force: exit %d\n%s", forced.code, forced.stderr)
			}
		})
	}
}

// TestCLIRenderExamples renders every environment of every example pipeline
// through the binary and in process, and requires the same bytes on stdout,
// nothing on stderr but warnings, and exit 0.
func TestCLIRenderExamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "promote*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no examples/*/promote*.yaml found")
	}
	for _, file := range files {
		p, err := pipeline.Load(file)
		if err == nil {
			err = p.Validate()
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		dir, name := filepath.Dir(file), filepath.Base(file)
		for _, e := range p.Spec.Environments {
			for _, format := range []string{"yaml", "json"} {
				t.Run(filepath.Base(dir)+"/"+name+"/"+e.Name+"/"+format, func(t *testing.T) {
					want := renderInProcess(t, p, e.Name, format)
					res := promote(t, dir, "-f", name, "render", e.Name, "-o", format)
					if res.code != 0 {
						t.Fatalf("exit %d:\n%s", res.code, res.stderr)
					}
					if diff := cmp.Diff(want, res.stdout); diff != "" {
						t.Errorf("binary and in-process render differ (-in-process +binary):\n%s", diff)
					}
					for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
						if line != "" && !strings.HasPrefix(line, "warning: ") {
							t.Errorf("unexpected stderr line %q", line)
						}
					}
				})
			}
		}
	}
}

// renderInProcess renders env of p with pkg/render, as the CLI should.
func renderInProcess(t *testing.T, p *pipeline.Pipeline, name, format string) string {
	t.Helper()
	env, err := p.Env(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.For(p, env)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(t.Context(), render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := render.Encode(&buf, res.Objects, format); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
