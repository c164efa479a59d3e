package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/internal/cli"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

const cliSecret = "dG9wLXNlY3JldC12YWx1ZQ=="

// cliEnv is a pipeline file whose environment prod lives in a fresh
// namespace of the shared cluster.
type cliEnv struct {
	file, kubeconfig, ns string
	client               kubernetes.Interface
}

func newCLIEnv(t *testing.T) cliEnv {
	t.Helper()
	c := localcluster.Shared(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	e := cliEnv{file: filepath.Join(t.TempDir(), "promote.yaml"), kubeconfig: c.Kubeconfig, ns: c.Namespace(t, "release-cli"), client: client}
	pipeline := fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: shop}
spec:
  environments:
  - name: prod
    namespace: %s
    source: {kustomize: {path: app}}
`, e.ns)
	app := filepath.Join(filepath.Dir(e.file), "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string]string{e.file: pipeline, filepath.Join(app, "kustomization.yaml"): "resources: []\n"} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

type cliResult struct {
	stdout, stderr string
	code           int
}

// run runs kubectl-promote in process, as main does.
func (e cliEnv) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := cli.NewRootCommand(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	cmd.SetArgs(append(args, "-f", e.file, "--kubeconfig", e.kubeconfig))
	err := cmd.ExecuteContext(t.Context())
	if err != nil && !cli.IsReported(err) {
		fmt.Fprintf(&errOut, "error: %v\n", err)
	}
	res := cliResult{stdout: out.String(), stderr: errOut.String(), code: exitcode.Code(err)}
	if strings.Contains(res.stdout+res.stderr, cliSecret) {
		t.Errorf("kubectl promote %s printed a secret value", strings.Join(args, " "))
	}
	return res
}

func TestClusterCLIHistory(t *testing.T) {
	e := newCLIEnv(t)
	if res := e.run(t, "history", "prod"); res.code != 0 || res.stdout != "" || !strings.Contains(res.stderr, "no releases of prod") {
		t.Errorf("history of nothing = %+v", res)
	}
	s := release.NewStore(e.client, e.ns, "shop", "prod")
	started := time.Date(2030, 1, 2, 3, 4, 5, 0, time.Local)
	for i, st := range []release.Status{release.Succeeded, release.RolledBack} {
		r := &release.Record{Revision: i + 1, Status: st, Strategy: "rolling", User: "alice",
			Manifest: "kind: Secret\ndata: {token: " + cliSecret + "}\n", Started: started, Finished: started.Add(42 * time.Second),
			Artifacts: []release.Artifact{{Type: release.ArtifactImage, Name: "registry.example/web", Ref: fmt.Sprintf("registry.example/web:1.%d", i)}}}
		if st == release.RolledBack {
			r.Source = &release.Source{Environment: "staging", Revision: 7}
			r.Failure = &release.Failure{Object: "Pod/shop/web-1", Reason: "ImagePullBackOff"}
		}
		if err := s.Create(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}

	res := e.run(t, "history", "prod")
	want := "REVISION   STATUS        SOURCE      ARTIFACTS   STRATEGY   USER    STARTED               DURATION   REASON\n" +
		"2          rolled-back   staging#7   web:1.1     rolling    alice   2030-01-02 03:04:05   42s        Pod/shop/web-1: ImagePullBackOff\n" +
		"1          succeeded     -           web:1.0     rolling    alice   2030-01-02 03:04:05   42s        -\n"
	if diff := cmp.Diff(want, res.stdout); diff != "" || res.code != 0 {
		t.Errorf("history: exit %d, stderr %q; stdout (-want +got):\n%s", res.code, res.stderr, diff)
	}
	for _, format := range []string{"json", "yaml"} {
		res := e.run(t, "history", "prod", "-o", format)
		if res.code != 0 || strings.Contains(res.stdout, "manifest") || !strings.Contains(res.stdout, "ImagePullBackOff") {
			t.Errorf("history -o %s: exit %d, stdout:\n%s", format, res.code, res.stdout)
		}
	}
	var sums []release.Summary
	if err := json.Unmarshal([]byte(e.run(t, "history", "prod", "-o", "json").stdout), &sums); err != nil || len(sums) != 2 || sums[0].Revision != 2 {
		t.Errorf("history -o json = %+v, %v; want revisions 2, 1", sums, err)
	}
	if res := e.run(t, "history", "qa"); res.code != exitcode.BadInput || !strings.Contains(res.stderr, `unknown environment "qa"`) {
		t.Errorf("history of an unknown environment = %+v, want exit 2", res)
	}
}

func TestClusterCLIUnlock(t *testing.T) {
	e := newCLIEnv(t)
	for _, args := range [][]string{{"unlock", "prod"}, {"unlock", "prod", "--force"}} {
		if res := e.run(t, args...); res.code != 0 || res.stderr != "prod is not locked\n" {
			t.Errorf("%v with no lock = %+v", args, res)
		}
	}
	alice := release.Holder{User: "alice", Host: "laptop", PID: 42}
	l, err := release.Acquire(t.Context(), e.client, e.ns, "shop", "prod", alice, release.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Release(context.WithoutCancel(t.Context())) }()

	res := e.run(t, "unlock", "prod")
	if res.code != exitcode.BadInput || !strings.Contains(res.stderr, "prod is locked by alice@laptop (pid 42); the lease expires in") ||
		!strings.Contains(res.stderr, "kubectl promote unlock prod --force") {
		t.Errorf("unlock without --force = %+v, want exit 2 naming alice and the fix", res)
	}
	if h, _, _ := release.CurrentHolder(t.Context(), e.client, e.ns, "shop", "prod"); h == nil {
		t.Fatal("unlock without --force broke the lock")
	}
	res = e.run(t, "unlock", "prod", "--force", "-o", "json")
	var got cli.UnlockResult
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil || res.code != 0 {
		t.Fatalf("unlock --force -o json: exit %d, %v:\n%s%s", res.code, err, res.stdout, res.stderr)
	}
	want := cli.UnlockResult{Environment: "prod", Namespace: e.ns, Lease: "promote-shop-prod", Holder: &alice, Unlocked: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unlock --force (-want +got):\n%s", diff)
	}
	if h, _, _ := release.CurrentHolder(t.Context(), e.client, e.ns, "shop", "prod"); h != nil {
		t.Errorf("after unlock --force the lock is held by %v", h)
	}
}
