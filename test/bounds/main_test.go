// Package bounds runs the built kubectl-promote binary against hostile or
// broken surroundings — a cluster that never answers, alias bombs, endless
// files and templates, paths out of the repository — and checks that it
// ends quickly, with bounded memory and the documented exit code. No
// cluster is needed.
package bounds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
)

// binary is the kubectl-promote built once by TestMain.
var binary string

// TestMain builds the binary, runs the tests and removes it.
func TestMain(m *testing.M) {
	var remove func()
	var err error
	if binary, remove, err = testutil.BuildBinary(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	remove()
	os.Exit(code)
}

// Bounds every run gets: a run that needs more memory or time than this has
// failed the test (the process is killed, and the exit code shows it).
const (
	memoryLimit = 2 << 30
	timeLimit   = 20 * time.Second
)

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// promote runs the binary in dir under `prlimit --as` and a time limit,
// with env added to a minimal environment.
func promote(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeLimit)
	defer cancel()
	argv := append([]string{fmt.Sprintf("--as=%d", memoryLimit), "--", binary}, args...)
	cmd := exec.CommandContext(ctx, "prlimit", argv...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1"}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("kubectl-promote %s: still running after %s\n%s", strings.Join(args, " "), timeLimit, errOut.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run kubectl-promote: %v", err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
}

// writeFiles lays files out under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pipelineFile is a pipeline with one environment dev of the given source.
func pipelineFile(source string) string {
	return `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: shop}
spec:
  environments:
  - name: dev
    namespace: shop-dev
    source: ` + source + "\n"
}

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n"

// repo is a directory with a .git, so that it is the repository root, and
// a kustomize overlay app/ and a chart chart/.
func repo(t *testing.T, source string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		".git/HEAD":               "ref: refs/heads/main\n",
		"promote.yaml":            pipelineFile(source),
		"app/kustomization.yaml":  "resources: [cm.yaml]\n",
		"app/cm.yaml":             configMap,
		"chart/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"chart/values.yaml":       "data: {a: b}\n",
		"chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {{ toJson .Values.data }}\n",
	})
	writeFiles(t, dir, files)
	return dir
}
