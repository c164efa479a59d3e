package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// result is what one in-process run of the root command produced.
type result struct {
	stdout, stderr string
	code           int
}

// run executes the root command in dir with args, as main would.
func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	cmd := NewRootCommand(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	if err != nil && !IsReported(err) {
		fmt.Fprintf(&errOut, "error: %v\n", err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: exitcode.Code(err)}
}

const kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"

// shop is a small pipeline whose environments live in the contexts "up"
// (a fake apiserver), "down" (nothing listening) and the current one.
const shop = `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: shop}
spec:
  environments:
  - name: dev
    cluster: {context: up}
    namespace: shop-dev
    source: {kustomize: {path: overlays/dev}}
  - name: staging
    from: dev
    cluster: {context: down}
    namespace: shop-staging
    source: {kustomize: {path: overlays/staging}}
    strategy:
      canary: {steps: [{weight: 50}]}
  - name: prod
    from: staging
    cluster: {context: gone}
    namespace: shop
    source: {kustomize: {path: overlays/prod}}
`

// fakeAPIServer answers /version like an apiserver, lists no Secrets (no
// release records) and finds nothing else (no lock, no rollout state).
func fakeAPIServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/version":
			fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2"}`)
		case strings.HasSuffix(r.URL.Path, "/secrets"):
			fmt.Fprint(w, `{"kind":"SecretList","apiVersion":"v1","metadata":{},"items":[]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// kubeconfig writes a kubeconfig with contexts "up" (server upURL, namespace
// from-kubeconfig) and "down" (a closed port), current context "up".
func kubeconfig(t *testing.T, dir, upURL string) string {
	t.Helper()
	path := filepath.Join(dir, "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: up
clusters:
- name: up
  cluster: {server: %q}
- name: down
  cluster: {server: "http://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: up
  context: {cluster: up, user: u, namespace: from-kubeconfig}
- name: down
  context: {cluster: down, user: u}
`, upURL)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// shopDir lays out the shop pipeline with its overlays.
func shopDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testutil.WriteFiles(t, dir, map[string]string{
		"promote.yaml":                        shop,
		"overlays/dev/kustomization.yaml":     kustomization,
		"overlays/staging/kustomization.yaml": kustomization,
		"overlays/prod/kustomization.yaml":    kustomization,
	})
	return dir
}

func TestEnvs(t *testing.T) {
	dir := shopDir(t)
	kc := kubeconfig(t, t.TempDir(), fakeAPIServer(t))
	tests := []struct {
		name   string
		args   []string
		golden string
		// wantCode is 3 when a cluster is down: the table is printed all
		// the same.
		wantCode int
	}{
		{name: "table", args: []string{"envs"}, golden: "envs.txt", wantCode: exitcode.Cluster},
		{name: "json", args: []string{"envs", "-o", "json"}, golden: "envs.json", wantCode: exitcode.Cluster},
		{name: "overrides move no environment", args: []string{"envs", "--context", "up", "-n", "foo", "-o", "yaml"}, golden: "envs-context.yaml", wantCode: exitcode.Cluster},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, dir, append(tt.args, "--kubeconfig", kc)...)
			if res.code != tt.wantCode {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			testutil.Golden(t, filepath.Join("testdata", tt.golden), res.stdout)
			switch tt.name {
			case "table":
				testutil.Golden(t, "testdata/envs.stderr", strings.ReplaceAll(res.stderr, kc, "KUBECONFIG"))
			case "overrides move no environment":
				testutil.Golden(t, "testdata/envs-context.stderr", strings.ReplaceAll(res.stderr, kc, "KUBECONFIG"))
			}
		})
	}
}

func TestEnvsStatus(t *testing.T) {
	dir := shopDir(t)
	kc := kubeconfig(t, t.TempDir(), fakeAPIServer(t))
	t.Chdir(dir)
	g := NewGlobalOptions(genericiooptions.NewTestIOStreamsDiscard())
	*g.ConfigFlags.KubeConfig = kc
	*g.ConfigFlags.Namespace = "moved" // envs ignores it
	var asked []string
	o := &EnvsOptions{GlobalOptions: g, Timeout: DefaultProbeTimeout,
		Status: func(_ context.Context, tg promote.Target) (*promote.EnvStatus, error) {
			asked = append(asked, tg.Env.Name+"/"+tg.Namespace())
			return &promote.EnvStatus{Health: promote.Healthy,
				Current: &promote.RevisionSummary{Revision: 7, Status: "succeeded"},
				Latest:  &promote.RevisionSummary{Revision: 8, Status: "rolled-back"}}, nil
		}}
	if err := o.Complete(nil); err != nil {
		t.Fatal(err)
	}
	rows := o.Rows(context.Background())
	got := make([]string, len(rows))
	for i, r := range rows {
		got[i] = fmt.Sprintf("%s|%s|%s|%v", r.Name, r.Revision, r.Health, r.Reachable)
	}
	want := []string{"dev|7 (8 rolled-back)|Healthy|true", "staging|unreachable|unreachable|false", "prod|unreachable|unreachable|false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"dev/shop-dev"}, asked); diff != "" {
		t.Errorf("Status calls mismatch (-want +got):\n%s", diff)
	}
}

func TestEnvsColumns(t *testing.T) {
	cur := &promote.RevisionSummary{Revision: 3, Status: "succeeded"}
	tests := []struct {
		name        string
		st          promote.EnvStatus
		rev, health string
	}{
		{name: "no release", st: promote.EnvStatus{Health: promote.HealthUnknown}, rev: "-", health: "-"},
		{name: "current is latest", st: promote.EnvStatus{Current: cur, Latest: cur, Health: promote.Unhealthy}, rev: "3", health: "Unhealthy"},
		{name: "first release failed", st: promote.EnvStatus{Latest: &promote.RevisionSummary{Revision: 1, Status: "rolled-back"}, Health: promote.HealthUnknown},
			rev: "- (1 rolled-back)", health: "-"},
		{name: "in progress", st: promote.EnvStatus{Current: cur, Latest: &promote.RevisionSummary{Revision: 4, Status: "progressing"}, Health: promote.Healthy},
			rev: "3 (4 progressing)", health: "Healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []string{revisionColumn(&tt.st), healthColumn(&tt.st)}
			if diff := cmp.Diff([]string{tt.rev, tt.health}, got); diff != "" {
				t.Errorf("columns mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
