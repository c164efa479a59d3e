package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// Image references of the chain test: dev builds them once, with digests,
// and every later environment must run exactly these.
const (
	webRepo = "registry.example.com/shop/web"
	goodRef = webRepo + ":1.0.0@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	// badRef carries its fate in the tag (see docs/localcluster.md): its
	// pods are Ready at first and crash promote.test/crash-after later.
	badRef = webRepo + ":2.0.0-late-crash@sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// chain is dev and staging on cluster A, prod on cluster B, in one
// kubeconfig with both contexts.
type chain struct {
	t          *testing.T
	dir        string
	kubeconfig string
	ns         map[string]string // environment → namespace
	clients    map[string]kubernetes.Interface
}

// newChain writes the pipeline. Staging is a canary and prod blue-green
// behind soak and approval gates.
//
// The bad release is honest about why dev misses it and staging does not:
// its pods turn bad 20s after they start (late-crash), dev keeps its verify
// window short for fast feedback (1s) and staging watches for 40s after a
// rollout. So dev records it as succeeded — healthy once — and staging,
// whose verify window covers the crash, undoes it. The upstream gate of
// staging looks at dev right after dev's apply, within those 20s.
func newChain(t *testing.T) *chain {
	t.Helper()
	a := localcluster.Shared(t)
	b := localcluster.Start(t, localcluster.Options{Name: "promote-b"})
	c := &chain{t: t, dir: t.TempDir(), ns: map[string]string{}, clients: map[string]kubernetes.Interface{}}
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
	if err := localcluster.MergeKubeconfig(c.kubeconfig, a.Kubeconfig, b.Kubeconfig); err != nil {
		t.Fatal(err)
	}
	for env, cl := range map[string]*localcluster.Cluster{"dev": a, "staging": a, "prod": b} {
		c.ns[env] = cl.Namespace(t, "promote-"+env)
		client, err := kubernetes.NewForConfig(cl.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		c.clients[env] = client
	}
	health := "health: {timeout: 90s, undoTimeout: 60s, verify: %s, restartLimit: 2}"
	testutil.WriteFiles(t, c.dir, map[string]string{"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: e2e}
spec:
  environments:
  - name: dev
    cluster: {context: %s}
    namespace: %s
    source: {kustomize: {path: overlays/dev}}
    %s
  - name: staging
    from: dev
    cluster: {context: %s}
    namespace: %s
    source: {kustomize: {path: overlays/staging}}
    strategy: {canary: {steps: [{weight: 50}]}}
    %s
  - name: prod
    from: staging
    cluster: {context: %s}
    namespace: %s
    source: {kustomize: {path: overlays/prod}}
    strategy: {blueGreen: {activeService: web, previewService: web-preview, autoPromote: true, scaleDownDelay: 1s}}
    gates: {soak: 3s, approval: required}
    %s
`, a.Context, c.ns["dev"], fmt.Sprintf(health, "1s"), a.Context, c.ns["staging"], fmt.Sprintf(health, "40s"),
		b.Context, c.ns["prod"], fmt.Sprintf(health, "1s"))})
	c.writeApp()
	return c
}

// writeApp writes the base and the overlays; each overlay decides its
// replicas and host, and only dev names an image of its own.
func (c *chain) writeApp() {
	files := map[string]string{
		"base/kustomization.yaml": kustomization + "resources: [deploy.yaml, service.yaml, ingress.yaml]\n",
		"base/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {promote.test/crash-after: 20s}
    spec:
      containers: [{name: web, image: "registry.example.com/shop/web:0.1.0", ports: [{name: http, containerPort: 8080}]}]
`,
		"base/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n",
		"base/ingress.yaml": `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: HOST
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]
`,
		"overlays/prod/preview.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web-preview}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n",
	}
	for env, spec := range map[string]struct {
		replicas int
		host     string
	}{"dev": {1, "dev.shop.example.com"}, "staging": {2, "staging.shop.example.com"}, "prod": {3, "shop.example.com"}} {
		k := kustomization + "# " + env + " overlay\nresources:\n- ../../base\n"
		if env == "prod" {
			k += "- preview.yaml\n"
		}
		k += fmt.Sprintf("replicas:\n- name: web\n  count: %d # %s's own\npatches:\n- target: {kind: Ingress, name: shop}\n  patch: '[{\"op\": \"replace\", \"path\": \"/spec/rules/0/host\", \"value\": \"%s\"}]'\n", spec.replicas, env, spec.host)
		files["overlays/"+env+"/kustomization.yaml"] = k
	}
	testutil.WriteFiles(c.t, c.dir, files)
	c.devImage(goodRef)
}

// devImage sets the image dev builds: a new artifact.
func (c *chain) devImage(ref string) {
	c.t.Helper()
	repo, rest, _ := strings.Cut(ref, ":")
	tag, digest, _ := strings.Cut(rest, "@")
	testutil.WriteFiles(c.t, c.dir, map[string]string{"overlays/dev/kustomization.yaml": kustomization +
		"resources:\n- ../../base\npatches:\n- target: {kind: Ingress, name: shop}\n  patch: '[{\"op\": \"replace\", \"path\": \"/spec/rules/0/host\", \"value\": \"dev.shop.example.com\"}]'\n" +
		fmt.Sprintf("images:\n- name: %s\n  newTag: %q\n  digest: %s\n", repo, tag, digest)})
}

func (c *chain) run(args ...string) result {
	c.t.Helper()
	args = append(args, "--kubeconfig", c.kubeconfig)
	if !slices.Contains([]string{"status", "history", "diff"}, args[0]) {
		args = append(args, "--lock-lease", "3s")
	}
	return promote(c.t, c.dir, args...)
}

// runOnTerminal runs the binary with a terminal as stdin (user bob) and
// answer typed into it.
func (c *chain) runOnTerminal(answer string, args ...string) result {
	c.t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		c.t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	go io.Copy(io.Discard, ptmx) // the echo
	if _, err := ptmx.Write([]byte(answer)); err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.CommandContext(c.t.Context(), binary, append(args, "--kubeconfig", c.kubeconfig, "--lock-lease", "3s")...)
	cmd.Dir, cmd.Stdin = c.dir, tty
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "USER=bob", "GITHUB_ACTOR=", "GITLAB_USER_LOGIN=", "BUILD_REQUESTEDFOR=", "HELM_KUBECONTEXT=", "HELM_NAMESPACE=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	_ = cmd.Run()
	return result{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
}

func (c *chain) records(env string) []*release.Record {
	c.t.Helper()
	recs, err := release.NewStore(c.clients[env], c.ns[env], "e2e", env).List(c.t.Context())
	if err != nil {
		c.t.Fatal(err)
	}
	return recs
}

func (c *chain) latest(env string) *release.Record {
	c.t.Helper()
	recs := c.records(env)
	if len(recs) == 0 {
		c.t.Fatalf("%s has no release", env)
	}
	return recs[0]
}

// running returns the images and replicas of every Deployment of env that
// runs pods: blue-green's live colour, or the canary strategy's stable web.
func (c *chain) running(env string) (images []string, replicas int32) {
	c.t.Helper()
	list, err := c.clients[env].AppsV1().Deployments(c.ns[env]).List(c.t.Context(), metav1.ListOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	for _, d := range list.Items {
		if d.Spec.Replicas != nil && *d.Spec.Replicas > 0 {
			images = append(images, d.Spec.Template.Spec.Containers[0].Image)
			replicas += *d.Spec.Replicas
		}
	}
	return images, replicas
}

func (c *chain) host(env string) string {
	c.t.Helper()
	ing, err := c.clients[env].NetworkingV1().Ingresses(c.ns[env]).Get(c.t.Context(), "shop", metav1.GetOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	return ing.Spec.Rules[0].Host
}

func gate(rec *release.Record, name string) *release.GateResult {
	for i := range rec.Gates {
		if rec.Gates[i].Name == name {
			return &rec.Gates[i]
		}
	}
	return nil
}

// Given dev running a release built with digests, When it is promoted to
// staging (canary, cluster A) and prod (blue-green, cluster B, soak and
// approval), Then each gate blocks with exit 6 until met, and prod runs the
// exact digests dev ran with its own replicas and host, the record saying
// who approved. When a release that crashes late is promoted, Then staging
// undoes it (exit 4) and prod is never touched.
func TestPromoteChain(t *testing.T) {
	t.Parallel()
	c := newChain(t)
	mustExit(t, c.run("staging"), 6) // nothing in dev yet
	mustExit(t, c.run("apply", "dev"), 0)
	res := c.run("diff", "staging", "--from", "dev")
	mustExit(t, res, 1)
	if !strings.Contains(res.stderr, "promoting dev revision 1") || !strings.Contains(res.stdout, goodRef) {
		t.Errorf("diff --from dev should show dev's release:\n%s%s", res.stdout, res.stderr)
	}

	res = c.run("staging", "prod", "--write")
	mustExit(t, res, 6)
	if !strings.Contains(res.stderr, "soak") || !strings.Contains(res.stderr, "remain, met at") {
		t.Errorf("prod's soak gate should say how long remains:\n%s", res.stderr)
	}
	c.checkRuns("staging", goodRef, 2, "staging.shop.example.com")
	if rec := c.latest("staging"); rec.Source == nil || rec.Source.Environment != "dev" || rec.Source.Revision != 1 {
		t.Errorf("staging's record source = %+v, want dev revision 1", rec.Source)
	}
	if k := readFile(t, filepath.Join(c.dir, "overlays/staging/kustomization.yaml")); !strings.Contains(k, "digest: sha256:1111") || !strings.Contains(k, "# staging's own") {
		t.Errorf("--write should add the promoted image and keep the comments:\n%s", k)
	}
	if len(c.records("prod")) != 0 {
		t.Fatalf("a blocked gate changed prod")
	}

	c.waitSoak()
	res = c.run("prod")
	mustExit(t, res, 6)
	if !strings.Contains(res.stderr, "--approve") {
		t.Errorf("the approval gate should say how to approve:\n%s", res.stderr)
	}
	res = c.runOnTerminal("n\n", "prod")
	mustExit(t, res, 6)
	if !strings.Contains(res.stderr, "[y/N]") || !strings.Contains(res.stderr, "to create") || !strings.Contains(res.stderr, "declined on the terminal by bob") {
		t.Errorf("the terminal should be asked with the diff summary, and the answer no block:\n%s", res.stderr)
	}
	if len(c.records("prod")) != 0 {
		t.Fatalf("a declined approval changed prod")
	}
	mustExit(t, c.run("prod", "--approve", "--approver", "alice"), 0)
	c.checkRuns("prod", goodRef, 3, "shop.example.com")
	rec := c.latest("prod")
	if rec.Approver != "alice" || rec.Source == nil || rec.Source.Environment != "staging" {
		t.Errorf("prod's record: approver %q, source %+v; want alice, staging", rec.Approver, rec.Source)
	}
	for _, name := range []string{"upstream", "soak", "approval"} {
		if g := gate(rec, name); g == nil || !g.Passed {
			t.Errorf("prod's record: gate %s = %+v, want passed", name, g)
		}
	}

	c.badRelease()
}

// badRelease: dev takes a release that crashes 20s after start; staging's
// verify window catches it.
func (c *chain) badRelease() {
	t := c.t
	c.devImage(badRef)
	mustExit(t, c.run("apply", "dev"), 0) // healthy once: dev's verify is 1s
	prodBefore := len(c.records("prod"))
	res := c.run("staging", "prod", "--approve")
	mustExit(t, res, 4)
	c.checkRuns("staging", goodRef, 2, "staging.shop.example.com")
	if rec := c.latest("staging"); rec.Status != release.RolledBack {
		t.Errorf("staging's latest record is %s, want rolled-back", rec.Status)
	}
	if n := len(c.records("prod")); n != prodBefore {
		t.Errorf("prod has %d records, had %d: a failed staging must stop the chain", n, prodBefore)
	}
	c.checkRuns("prod", goodRef, 3, "shop.example.com")
}

func (c *chain) checkRuns(env, ref string, replicas int32, host string) {
	c.t.Helper()
	images, n := c.running(env)
	if len(images) == 0 || slices.IndexFunc(images, func(s string) bool { return s != ref }) >= 0 {
		c.t.Errorf("%s runs %v, want exactly %s", env, images, ref)
	}
	if n != replicas {
		c.t.Errorf("%s runs %d replicas, want its own %d", env, n, replicas)
	}
	if h := c.host(env); h != host {
		c.t.Errorf("%s's host is %s, want %s", env, h, host)
	}
}

// waitSoak waits until prod's soak gate (3s after staging became healthy)
// is met: the only gate left is approval.
func (c *chain) waitSoak() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res := c.run("prod", "--dry-run")
		if !strings.Contains(res.stderr, "gate soak NOT met") {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	c.t.Fatal("prod's soak gate was never met")
}

// An environment without from: and without --from cannot be promoted into
// (exit 2), and that is known before any cluster is read.
func TestCLIPromoteNoUpstream(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testutil.WriteFiles(t, dir, map[string]string{
		"promote.yaml": `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: e2e}
spec:
  environments:
  - name: dev
    namespace: dev
    source: {kustomize: {path: overlays/dev}}
`,
		"overlays/dev/kustomization.yaml": kustomization,
	})
	res := promote(t, dir, "dev")
	mustExit(t, res, 2)
	if !strings.Contains(res.stderr, "dev has no upstream") {
		t.Errorf("stderr should name the missing upstream:\n%s", res.stderr)
	}
	mustExit(t, promote(t, dir, "dev", "--from", "dev"), 2)
	mustExit(t, promote(t, dir, "nowhere"), 2)
}
