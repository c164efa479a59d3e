package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"github.com/kubectl-promote/kubectl-promote/internal/cli"
	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// project is a pipeline with environments dev and staging, each in a fresh
// namespace of the shared cluster, rendered with Kustomize from one base.
type project struct {
	t          *testing.T
	cluster    *localcluster.Cluster
	clients    *kube.Clients
	file       string
	dev, stage string
}

const base = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.test/shop/web:1.0}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: safe}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {pw: PASSWORD}
`

func newProject(t *testing.T) *project {
	t.Helper()
	c := localcluster.Shared(t)
	clients, err := kube.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &project{t: t, cluster: c, clients: clients, file: filepath.Join(dir, "promote.yaml"),
		dev: c.Namespace(t, "diff-dev"), stage: c.Namespace(t, "diff-staging")}
	files := map[string]string{
		"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: shop}
spec:
  environments:
  - {name: dev, namespace: %s, source: {kustomize: {path: overlays/dev}}}
  - {name: staging, from: dev, namespace: %s, source: {kustomize: {path: overlays/staging}}}
`, p.dev, p.stage),
		"base/kustomization.yaml": "resources: [app.yaml]\n",
		"base/app.yaml":           strings.Replace(base, "PASSWORD", oldPassword, 1),
		"overlays/dev/kustomization.yaml": "resources: [../../base]\nimages: [{name: registry.test/shop/web, newTag: \"2.0\"}]\n" +
			"patches: [{target: {kind: Secret, name: creds}, patch: '[{\"op\": \"replace\", \"path\": \"/stringData/pw\", \"value\": \"" + newPassword + "\"}]'}]\n",
		"overlays/staging/kustomization.yaml": "resources: [../../base]\n",
	}
	testutil.WriteFiles(t, dir, files)
	return p
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs kubectl-promote in process, as main does, against kubeconfig.
func (p *project) run(kubeconfig string, args ...string) result {
	p.t.Helper()
	var out, errOut bytes.Buffer
	cmd := cli.NewRootCommand(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	cmd.SetArgs(append(args, "-f", p.file, "--kubeconfig", kubeconfig))
	err := cmd.ExecuteContext(p.t.Context())
	if err != nil && !cli.IsReported(err) {
		fmt.Fprintf(&errOut, "error: %v\n", err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: exitcode.Code(err)}
}

// applyEnv applies env's render as the tool's apply does: prepared by
// diff.Prepare and server-side applied as kubectl-promote.
func (p *project) applyEnv(env string) {
	p.t.Helper()
	pl, err := pipeline.Load(p.file)
	if err != nil {
		p.t.Fatal(err)
	}
	e, err := pl.Env(env)
	if err != nil {
		p.t.Fatal(err)
	}
	r, err := render.For(pl, e)
	if err != nil {
		p.t.Fatal(err)
	}
	res, err := r.Render(p.t.Context(), render.Options{})
	if err != nil {
		p.t.Fatal(err)
	}
	objs, err := diff.Prepare(res.Objects, diff.Owner{Pipeline: pl.Metadata.Name, Environment: env})
	if err != nil {
		p.t.Fatal(err)
	}
	for _, u := range objs {
		m, err := p.clients.Mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
		if err != nil {
			p.t.Fatal(err)
		}
		body, err := json.Marshal(u.Object)
		if err != nil {
			p.t.Fatal(err)
		}
		_, err = p.clients.Dynamic.Resource(m.Resource).Namespace(u.GetNamespace()).Patch(p.t.Context(), u.GetName(),
			types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: kube.FieldManager})
		if err != nil {
			p.t.Fatalf("apply %s: %v", kube.RefOf(u), err)
		}
	}
}

// Given staging applied, `diff staging` finds nothing (exit 0) and
// `diff staging --from dev` shows dev's image promoted (exit 1).
func TestClusterCLIDiffFrom(t *testing.T) {
	p := newProject(t)
	p.applyEnv("staging")
	p.waitForRevision(p.stage, "web") // so the golden text's line numbers do not depend on the controller

	if res := p.run(p.cluster.Kubeconfig, "diff", "staging"); res.code != exitcode.OK {
		t.Errorf("diff staging: exit %d, want 0\n%s%s", res.code, res.stdout, res.stderr)
	}

	res := p.run(p.cluster.Kubeconfig, "diff", "staging", "--from", "dev", "-U", "1")

	if res.code != exitcode.Differences {
		t.Errorf("diff staging --from dev: exit %d, want 1\n%s", res.code, res.stderr)
	}
	testutil.Golden(t, "testdata/golden/cli-from.txt", strings.ReplaceAll(res.stdout, p.stage, "STAGING"))
}

// Each action in text and JSON through the command, with its exit code.
func TestClusterCLIDiffActions(t *testing.T) {
	p := newProject(t)

	res := p.run(p.cluster.Kubeconfig, "diff", "dev", "-o", "json")

	if res.code != exitcode.Differences {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	var report struct{ Counts diff.Counts }
	if err := json.Unmarshal([]byte(res.stdout), &report); err != nil {
		t.Fatal(err)
	}
	if want := (diff.Counts{Created: 3}); report.Counts != want {
		t.Errorf("counts = %+v, want %+v", report.Counts, want)
	}
	if !strings.Contains(res.stderr, "3 to create, 0 to change, 0 to delete, 0 unchanged") {
		t.Errorf("stderr lacks the summary: %s", res.stderr)
	}
	if res = p.run(p.cluster.Kubeconfig, "diff", "dev", "-o", "yaml"); res.code != exitcode.BadInput {
		t.Errorf("-o yaml: exit %d, want 2", res.code)
	}
}

// No output mode of the command shows a Secret value: text, JSON, errors
// and the -v=10 log; --show-secrets does.
func TestClusterCLIDiffSecretsNeverLeak(t *testing.T) {
	p := newProject(t)
	p.applyEnv("staging") // staging runs the old password
	log := testutil.CaptureKlog(t, 0)

	runs := map[string]result{
		"text":  p.run(p.cluster.Kubeconfig, "diff", "staging", "--from", "dev", "-v", "10"),
		"json":  p.run(p.cluster.Kubeconfig, "diff", "dev", "-o", "json", "-v", "10"),
		"error": p.run(p.cluster.UserKubeconfig(t, "nobody"), "diff", "dev", "-v", "10"),
	}
	klog.Flush()

	// The command logs to its own stderr (through the redactor); klog's
	// global output is checked too, for anything logged outside it.
	var logged strings.Builder
	logged.WriteString(log.String())
	for _, res := range runs {
		logged.WriteString(res.stderr)
	}
	if !strings.Contains(logged.String(), "Response Body") {
		t.Fatalf("-v 10 logged no bodies; the log check proves nothing")
	}
	for mode, res := range runs {
		if l := testutil.Leaks(res.stdout+res.stderr, knownSecrets...); l != nil {
			t.Errorf("%s output leaks %q:\n%s%s", mode, l, res.stdout, res.stderr)
		}
	}
	if runs["error"].code != exitcode.Cluster {
		t.Errorf("error run: exit %d, want 3\n%s", runs["error"].code, runs["error"].stderr)
	}
	if l := testutil.Leaks(log.String(), knownSecrets...); l != nil {
		t.Errorf("-v=10 log leaks %q", l)
	}
	shown := p.run(p.cluster.Kubeconfig, "diff", "dev", "--show-secrets")
	if !strings.Contains(shown.stdout, base64.StdEncoding.EncodeToString([]byte(newPassword))) {
		t.Errorf("--show-secrets does not show the value:\n%s", shown.stdout)
	}
}

// A user who may only get and list gets exit 3 and the permission the
// dry-run needs.
func TestClusterCLIDiffForbidden(t *testing.T) {
	p := newProject(t) // nothing applied: every object needs its dry-run
	grantReadOnly(t, p.clients, p.dev, "viewer")

	res := p.run(p.cluster.UserKubeconfig(t, "viewer"), "diff", "dev")

	if res.code != exitcode.Cluster {
		t.Errorf("exit %d, want 3\n%s", res.code, res.stderr)
	}
	want := `forbidden: dry-run needs "patch" on "configmaps" in namespace "` + p.dev + `" (user "viewer")`
	if !strings.Contains(res.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
	}
}

// grantReadOnly lets user get and list everything the project renders.
func grantReadOnly(t *testing.T, c *kube.Clients, ns, user string) {
	t.Helper()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: ns},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets", "services"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list"}},
		},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: user},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: user}},
	}
	if _, err := c.Typed.RbacV1().Roles(ns).Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Typed.RbacV1().RoleBindings(ns).Create(t.Context(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitForRevision waits until the deployment controller has annotated
// Deployment ns/name with its revision. The bound only keeps a broken
// cluster from hanging the test; nothing depends on how long it takes.
func (p *project) waitForRevision(ns, name string) {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := p.clients.Typed.AppsV1().Deployments(ns).Get(p.t.Context(), name, metav1.GetOptions{})
		if err == nil && d.Annotations["deployment.kubernetes.io/revision"] != "" {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("Deployment/%s/%s never got its revision annotation (last error %v)", ns, name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
