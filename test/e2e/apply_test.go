package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// app is one version of the test application: what a release engineer
// would change between two releases.
type app struct {
	Tag      string // image tag of web
	Fate     string // promote.test/fate label of web's pods ("" = healthy)
	Greeting string // a value in the ConfigMap
	Service  bool   // whether the Service web exists
	Deadline int    // progressDeadlineSeconds (0 = 600)
	Delay    string // promote.test/ready-delay annotation
}

var good = app{Tag: "1.0.0", Greeting: "hello", Service: true}

// appEnv is one environment of a one-environment pipeline on the shared cluster.
type appEnv struct {
	t          *testing.T
	dir, ns    string
	kubeconfig string
	client     kubernetes.Interface
}

func newEnv(t *testing.T) *appEnv {
	t.Helper()
	c := localcluster.Shared(t)
	return envIn(t, c, c.Namespace(t, "apply"))
}

// envIn is a one-environment pipeline (dev) deploying app/ into ns of c.
func envIn(t *testing.T, c *localcluster.Cluster, ns string) *appEnv {
	t.Helper()
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	e := &appEnv{t: t, dir: t.TempDir(), ns: ns, kubeconfig: c.Kubeconfig, client: client}
	testutil.WriteFiles(t, e.dir, map[string]string{"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: e2e}
spec:
  environments:
  - name: dev
    namespace: %s
    source: {kustomize: {path: app}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s, restartLimit: 2}
`, e.ns)})
	return e
}

// write puts version a of the application on disk.
func (e *appEnv) write(a app) {
	e.t.Helper()
	deadline := a.Deadline
	if deadline == 0 {
		deadline = 600
	}
	labels := "app: web"
	if a.Fate != "" {
		labels += "\n        promote.test/fate: " + a.Fate
	}
	annotations := "{}"
	if a.Delay != "" {
		annotations = "{promote.test/ready-delay: " + a.Delay + "}"
	}
	resources := "- deploy.yaml\n- config.yaml\n"
	if a.Service {
		resources += "- service.yaml\n"
	}
	os.RemoveAll(filepath.Join(e.dir, "app"))
	testutil.WriteFiles(e.t, e.dir, map[string]string{
		"app/kustomization.yaml": kustomization + "resources:\n" + resources,
		"app/deploy.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  progressDeadlineSeconds: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels:
        %s
      annotations: %s
    spec:
      containers:
      - name: web
        image: registry.example.com/shop/web:%s
`, deadline, labels, annotations, a.Tag),
		"app/config.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {greeting: " + a.Greeting + "}\n",
		"app/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
	})
}

func (e *appEnv) promote(args ...string) result {
	e.t.Helper()
	args = append(args, "--kubeconfig", e.kubeconfig)
	if args[0] == "apply" || args[0] == "undo" {
		args = append(args, "--lock-lease", "3s")
	}
	return promote(e.t, e.dir, args...)
}

func (e *appEnv) store() *release.Store {
	return release.NewStore(e.client, e.ns, "e2e", "dev")
}

func (e *appEnv) record(rev int) *release.Record {
	e.t.Helper()
	r, err := e.store().Get(e.t.Context(), rev)
	if err != nil {
		e.t.Fatalf("revision %d: %v", rev, err)
	}
	return r
}

func (e *appEnv) image() string {
	e.t.Helper()
	d, err := e.client.AppsV1().Deployments(e.ns).Get(e.t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

func (e *appEnv) greeting() string {
	e.t.Helper()
	cm, err := e.client.CoreV1().ConfigMaps(e.ns).Get(e.t.Context(), "web-config", metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return cm.Data["greeting"]
}

func (e *appEnv) hasService() bool {
	e.t.Helper()
	_, err := e.client.CoreV1().Services(e.ns).Get(e.t.Context(), "web", metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		e.t.Fatal(err)
	}
	return err == nil
}

func mustExit(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// Given a good release, When it is applied, Then it is healthy and recorded,
// and history and status show it.
func TestApplyGoodRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(good)
	mustExit(t, e.promote("apply", "dev"), 0)
	rec := e.record(1)
	if rec.Status != release.Succeeded || len(rec.Inventory) != 3 {
		t.Fatalf("record: status %s, %d objects; want succeeded, 3", rec.Status, len(rec.Inventory))
	}
	if got := e.image(); got != "registry.example.com/shop/web:1.0.0" {
		t.Errorf("image %s", got)
	}
	h := e.promote("history", "dev")
	mustExit(t, h, 0)
	if !strings.Contains(h.stdout, "succeeded") || !strings.Contains(h.stdout, "web:1.0.0") {
		t.Errorf("history does not show the release:\n%s", h.stdout)
	}
	s := e.promote("status", "dev")
	mustExit(t, s, 0)
	for _, want := range []string{"revision 1 succeeded", "Health:", "Healthy", "Lock:", "free"} {
		if !strings.Contains(s.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, s.stdout)
		}
	}
}

// Given a healthy release, When a release whose pods fail is applied, Then
// it is caught, the previous release is back whole (ConfigMap and the
// removed Service included) and healthy, and the record says why.
func TestApplyBadReleaseIsUndone(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, fate, reason string
		deadline           int
	}{
		{"crashloop", "crashloop", "CrashLoopBackOff|RestartLimit|restart", 0},
		{"image-pull", "image-pull", "ErrImagePull|ImagePullBackOff", 0},
		{"never-ready", "never-ready", "ProgressDeadlineExceeded", 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.write(good)
			mustExit(t, e.promote("apply", "dev"), 0)
			e.write(app{Tag: "2.0.0", Fate: tc.fate, Greeting: "broken", Service: false, Deadline: tc.deadline})
			r := e.promote("apply", "dev")
			mustExit(t, r, 4)
			rec := e.record(2)
			if rec.Status != release.RolledBack || rec.RolledBackTo != 1 {
				t.Errorf("record 2: status %s rolled back to %d; want rolled-back to 1", rec.Status, rec.RolledBackTo)
			}
			if rec.Failure == nil || !matchesAny(rec.Failure.Reason+" "+rec.Reason, tc.reason) {
				t.Errorf("record 2 failure %+v reason %q; want one of %s", rec.Failure, rec.Reason, tc.reason)
			}
			if f := rec.Failure; f != nil && (f.Detected.Before(rec.Started) || f.Detected.After(rec.Finished)) {
				t.Errorf("record 2: failure detected at %s, not between the start %s and the end %s", f.Detected, rec.Started, rec.Finished)
			}
			if !matchesAny(r.stderr, tc.reason) {
				t.Errorf("the failure reason is not printed:\n%s", r.stderr)
			}
			if got := e.image(); got != "registry.example.com/shop/web:1.0.0" {
				t.Errorf("image after undo %s", got)
			}
			if got := e.greeting(); got != "hello" {
				t.Errorf("ConfigMap after undo: greeting %q, want hello", got)
			}
			if !e.hasService() {
				t.Error("the Service the bad release removed was not restored")
			}
		})
	}
}

func matchesAny(s, alternatives string) bool {
	for _, a := range strings.Split(alternatives, "|") {
		if strings.Contains(s, a) {
			return true
		}
	}
	return false
}

// Given a rollout in progress, When a second apply starts, Then it is
// blocked with exit 6 naming the holder.
func TestApplyLocked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(app{Tag: "1.0.0", Greeting: "hello", Service: true, Delay: "6s"})
	first := e.start("apply", "dev")
	e.waitForLock()
	second := e.promote("apply", "dev")
	mustExit(t, second, 6)
	if !strings.Contains(second.stderr, "locked") && !strings.Contains(second.stderr, "held by") {
		t.Errorf("second apply does not name the holder:\n%s", second.stderr)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first apply: %v", err)
	}
}

// Given a run killed with SIGKILL mid-rollout, When a new run starts, Then
// it waits for the stale lease to expire and completes.
func TestApplyAfterKill(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(app{Tag: "1.0.0", Greeting: "hello", Service: true, Delay: "20s"})
	first := e.start("apply", "dev")
	e.waitForLock()
	_ = first.Process.Kill()
	_ = first.Wait()
	e.write(good)
	r := e.promote("apply", "dev", "--wait-for-lock", "30s")
	mustExit(t, r, 0)
	if !strings.Contains(r.stderr, "stale") {
		t.Errorf("the new run does not report the stale lock:\n%s", r.stderr)
	}
}

// Given a healthy release, When a new rollout gets SIGTERM, Then the
// environment is back on the previous release and the lock is free.
func TestApplySIGTERMUndoes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(good)
	mustExit(t, e.promote("apply", "dev"), 0)
	e.write(app{Tag: "2.0.0", Greeting: "new", Service: true, Delay: "30s"})
	run := e.start("apply", "dev")
	e.waitForRevision(2)
	time.Sleep(time.Second)
	_ = run.Process.Signal(syscall.SIGTERM)
	err := run.Wait()
	if code := exitCode(err); code != 4 {
		t.Fatalf("exit code after SIGTERM %d, want 4\n%s", code, readFile(t, run.Stderr.(*os.File).Name()))
	}
	if got := e.image(); got != "registry.example.com/shop/web:1.0.0" {
		t.Errorf("image after SIGTERM %s", got)
	}
	if got := e.greeting(); got != "hello" {
		t.Errorf("greeting after SIGTERM %q", got)
	}
	h, _, err := release.CurrentHolder(t.Context(), e.client, e.ns, "e2e", "dev")
	if err != nil || h != nil {
		t.Errorf("lock after SIGTERM: holder %v, err %v; want free", h, err)
	}
}

func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// start runs the binary in the background; its stderr is kept in a buffer.
func (e *appEnv) start(args ...string) *exec.Cmd {
	e.t.Helper()
	cmd := exec.Command(binary, append(args, "--kubeconfig", e.kubeconfig, "--lock-lease", "3s")...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	f, err := os.Create(filepath.Join(e.t.TempDir(), "stderr"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { f.Close() })
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd
}

func (e *appEnv) waitForLock() {
	e.t.Helper()
	e.eventually("the lock to be taken", func(ctx context.Context) bool {
		h, _, err := release.CurrentHolder(ctx, e.client, e.ns, "e2e", "dev")
		return err == nil && h != nil
	})
}

func (e *appEnv) waitForRevision(rev int) {
	e.t.Helper()
	e.eventually(fmt.Sprintf("revision %d to be recorded", rev), func(ctx context.Context) bool {
		_, err := e.store().Get(ctx, rev)
		return err == nil
	})
}

func (e *appEnv) eventually(what string, cond func(context.Context) bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond(e.t.Context()) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("timed out waiting for %s", what)
}

// Given a rollout in progress, When its process is killed (SIGKILL), Then
// status, run on the same host while the lease lives on, says that the
// holder's process is gone.
func TestStatusSaysAKilledHolderIsGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(good)
	mustExit(t, e.promote("apply", "dev"), 0)
	e.write(app{Tag: "2.0.0", Greeting: "new", Service: true, Delay: "30s"})
	run := e.start("apply", "dev")
	e.waitForRevision(2)
	_ = run.Process.Signal(syscall.SIGKILL)
	_ = run.Wait()
	st := e.promote("status", "dev")
	out := st.stdout + st.stderr
	if !strings.Contains(out, "held by") || !strings.Contains(out, "that process is gone") {
		t.Errorf("status does not say the killed holder is gone:\n%s", out)
	}
}
