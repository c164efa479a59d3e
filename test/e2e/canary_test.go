package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// switchEnv is a one-environment pipeline ("staging") with a canary or
// blue-green strategy on the shared cluster, and a watch on its objects.
type switchEnv struct {
	t          *testing.T
	dir, ns    string
	kubeconfig string
	client     kubernetes.Interface
	dyn        dynamic.Interface
	obs        *observer
}

// version is one release of the test application: Deployment web behind
// Service web, Ingress shop and, with Route, HTTPRoute shop.
type version struct {
	Tag      string
	Fate     string // promote.test/fate of web's pods ("" = healthy)
	Replicas int    // default 4
	Route    bool   // an HTTPRoute shop (needs the Gateway API CRDs)
	Preview  bool   // a Service web-preview
}

func newSwitchEnv(t *testing.T, prefix, strategy string) *switchEnv {
	t.Helper()
	c := localcluster.Shared(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	e := &switchEnv{t: t, dir: t.TempDir(), ns: c.Namespace(t, prefix), kubeconfig: c.Kubeconfig, client: client, dyn: dyn}
	testutil.WriteFiles(t, e.dir, map[string]string{"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: e2e}
spec:
  environments:
  - name: staging
    namespace: %s
    source: {kustomize: {path: app}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s, restartLimit: 2}
    strategy:
      %s
`, e.ns, strategy)})
	return e
}

// gatewayAPI installs the Gateway API CRDs for this test.
func (e *switchEnv) gatewayAPI() {
	e.t.Helper()
	installGatewayAPI(e.t, localcluster.Shared(e.t), e.dyn)
}

// write puts version v of the application on disk.
func (e *switchEnv) write(v version) {
	e.t.Helper()
	if v.Replicas == 0 {
		v.Replicas = 4
	}
	labels := "{app: web}"
	if v.Fate != "" {
		labels = "{app: web, promote.test/fate: " + v.Fate + "}"
	}
	files := map[string]string{
		"app/deploy.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: %s}
    spec:
      containers: [{name: web, image: "registry.example.com/shop/web:%s", ports: [{name: http, containerPort: 8080}]}]
`, v.Replicas, labels, v.Tag),
		"app/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n",
		"app/ingress.yaml": `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]
`,
	}
	resources := "- deploy.yaml\n- service.yaml\n- ingress.yaml\n"
	if v.Route {
		files["app/route.yaml"] = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop}
spec:
  parentRefs: [{name: gateway}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
`
		resources += "- route.yaml\n"
	}
	if v.Preview {
		files["app/preview.yaml"] = "apiVersion: v1\nkind: Service\nmetadata: {name: web-preview}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n"
		resources += "- preview.yaml\n"
	}
	files["app/kustomization.yaml"] = kustomization + "resources:\n" + resources
	os.RemoveAll(filepath.Join(e.dir, "app"))
	testutil.WriteFiles(e.t, e.dir, files)
}

// args adds the cluster, and a short lock lease to the commands that lock.
func (e *switchEnv) args(args []string) []string {
	args = append(args, "--kubeconfig", e.kubeconfig)
	switch args[0] {
	case "apply", "resume", "abort", "undo":
		args = append(args, "--lock-lease", "3s")
	}
	return args
}

func (e *switchEnv) promote(args ...string) result {
	e.t.Helper()
	return promote(e.t, e.dir, e.args(args)...)
}

// observe starts recording the application's objects by watch.
func (e *switchEnv) observe(resources ...schema.GroupVersionResource) {
	e.t.Helper()
	e.obs = observe(e.t, e.dyn, e.ns, resources...)
}

// background is a run of the binary in the background.
type background struct {
	cmd    *exec.Cmd
	stderr string // file
}

func (e *switchEnv) start(args ...string) *background {
	e.t.Helper()
	cmd := exec.Command(binary, e.args(args)...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	path := filepath.Join(e.t.TempDir(), "stderr")
	f, err := os.Create(path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { f.Close() })
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return &background{cmd: cmd, stderr: path}
}

// wait returns the exit code and stderr of a background run.
func (b *background) wait(t *testing.T) (int, string) {
	t.Helper()
	err := b.cmd.Wait()
	return exitCode(err), readFile(t, b.stderr)
}

func (e *switchEnv) store() *release.Store {
	return release.NewStore(e.client, e.ns, "e2e", "staging")
}

func (e *switchEnv) record(rev int) *release.Record {
	e.t.Helper()
	r, err := e.store().Get(e.t.Context(), rev)
	if err != nil {
		e.t.Fatalf("revision %d: %v", rev, err)
	}
	return r
}

// waitState waits until the rollout state satisfies cond.
func (e *switchEnv) waitState(what string, cond func(*release.State) bool) *release.State {
	e.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		st, _, err := e.store().State(e.t.Context())
		if err == nil && st != nil && cond(st) {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("timed out waiting for the rollout state: %s", what)
	return nil
}

// noState fails unless the rollout state is gone.
func (e *switchEnv) noState() {
	e.t.Helper()
	if st, _, err := e.store().State(e.t.Context()); err != nil || st != nil {
		e.t.Errorf("rollout state left behind: %+v (err %v)", st, err)
	}
}

// noCanaryObjects fails if an object labelled as canary is left.
func (e *switchEnv) noCanaryObjects() {
	e.t.Helper()
	for _, gvr := range []schema.GroupVersionResource{deployments, services, ingresses} {
		list, err := e.dyn.Resource(gvr).Namespace(e.ns).List(e.t.Context(), metav1.ListOptions{LabelSelector: rollout.LabelTrack + "=" + rollout.TrackCanary})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, u := range list.Items {
			e.t.Errorf("canary object left: %s/%s", u.GetKind(), u.GetName())
		}
	}
}

func mustEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: observed %q, want %q", what, got, want)
	}
}

const canarySteps = "steps: [{weight: 25}, {pause: {duration: 1s}}, {weight: 50}, {weight: 75}]"

// Given a healthy release on each router, When a good release goes out as
// a canary, Then the observed weights (or replica counts) follow the steps,
// the stable Deployment takes the new template last, and nothing of the
// canary is left. When the canary crash-loops instead, Then it is aborted at
// the first step: no later weight is ever set, the stable Deployment is
// never scaled down nor changed, and the canary is gone.
func TestCanaryRouters(t *testing.T) {
	t.Parallel()
	routers := []struct {
		name, traffic string
		route         bool
	}{
		{"replica-ratio", "", false},
		{"nginx", "traffic: {nginx: {ingress: shop}}, ", false},
		{"gateway-api", "traffic: {gatewayAPI: {httpRoute: shop}}, ", true},
	}
	for _, r := range routers {
		for _, good := range []bool{true, false} {
			name := r.name + "/good"
			if !good {
				name = r.name + "/crashloop"
			}
			t.Run(name, func(t *testing.T) {
				e := newSwitchEnv(t, "canary", "canary: {"+r.traffic+canarySteps+"}")
				if r.route {
					e.gatewayAPI()
				}
				e.write(version{Tag: "1.0", Route: r.route})
				mustExit(t, e.promote("apply", "staging"), 0)
				watched := []schema.GroupVersionResource{deployments, services, ingresses}
				if r.route {
					watched = append(watched, httpRoutes)
				}
				e.observe(watched...)
				fate := ""
				if !good {
					fate = "crashloop"
				}
				e.write(version{Tag: "2.0", Fate: fate, Route: r.route})
				res := e.promote("apply", "staging")
				if good {
					mustExit(t, res, 0)
					e.checkGoodCanary(r.name)
				} else {
					mustExit(t, res, 4)
					e.checkAbortedCanary(r.name, res)
				}
				e.noState()
				e.noCanaryObjects()
			})
		}
	}
}

// checkGoodCanary checks the observed sequences of a canary that went
// through every step.
func (e *switchEnv) checkGoodCanary(router string) {
	t, o := e.t, e.obs
	t.Helper()
	if rec := e.record(2); rec.Status != release.Succeeded {
		t.Errorf("record 2: %s, want succeeded", rec.Status)
	}
	mustEqual(t, "stable image", o.values("deployments", "web", image), []string{"1.0", "2.0"})
	mustEqual(t, "canary image", o.values("deployments", "web-canary", image), []string{"2.0", gone})
	mustEqual(t, "canary replicas", o.values("deployments", "web-canary", replicas), []string{"0", "1", "2", "3", gone})
	pin := o.values("services", "web", selectorValue("pod-template-hash"))
	switch router {
	case "replica-ratio":
		mustEqual(t, "stable replicas", o.values("deployments", "web", replicas), []string{"4", "3", "2", "1", "4"})
		mustEqual(t, "stable Service pin", pin, []string{"-"})
	case "nginx":
		mustEqual(t, "stable replicas", o.values("deployments", "web", replicas), []string{"4"})
		mustEqual(t, "canary Ingress weight", o.values("ingresses", "shop-canary", annotation(rollout.AnnotationNginxCanaryWeight)),
			[]string{"0", "25", "50", "75", gone})
		if len(pin) != 3 || pin[0] != "-" || pin[1] == "-" || pin[2] != "-" {
			t.Errorf("stable Service pin: observed %q, want unpinned, pinned to the stable pods, unpinned", pin)
		}
		mustEqual(t, "canary Service selector", o.values("services", "web-canary", selectorValue(rollout.LabelTrack)), []string{"canary", gone})
	case "gateway-api":
		mustEqual(t, "stable replicas", o.values("deployments", "web", replicas), []string{"4"})
		mustEqual(t, "HTTPRoute canary weight", o.values("httproutes", "shop", routeWeight("web-canary")),
			[]string{"none", "0", "25", "50", "75", "none"})
		mustEqual(t, "HTTPRoute stable weight", o.values("httproutes", "shop", routeWeight("web")),
			[]string{"1", "100", "75", "50", "25", "1"}) // the CRD defaults an unset weight to 1
		if len(pin) != 3 || pin[1] == "-" {
			t.Errorf("stable Service pin: observed %q, want unpinned, pinned, unpinned", pin)
		}
	}
}

// checkAbortedCanary checks that a crash-looping canary was stopped at its
// first step with the stable side untouched.
func (e *switchEnv) checkAbortedCanary(router string, res result) {
	t, o := e.t, e.obs
	t.Helper()
	if rec := e.record(2); rec.Status != release.RolledBack || rec.RolledBackTo != 1 {
		t.Errorf("record 2: %s rolled back to %d, want rolled-back to 1", rec.Status, rec.RolledBackTo)
	}
	if !strings.Contains(res.stderr, "step 1/4") || strings.Contains(res.stderr, "step 2/4") {
		t.Errorf("the canary was not stopped at step 1:\n%s", res.stderr)
	}
	if !matchesAny(res.stderr, "CrashLoopBackOff|RestartLimit") {
		t.Errorf("the failure is not reported:\n%s", res.stderr)
	}
	mustEqual(t, "stable image", o.values("deployments", "web", image), []string{"1.0"})
	mustEqual(t, "stable replicas", o.values("deployments", "web", replicas), []string{"4"})
	mustEqual(t, "canary replicas", o.values("deployments", "web-canary", replicas), []string{"0", "1", "0", gone})
	switch router {
	case "nginx":
		mustEqual(t, "canary Ingress weight", o.values("ingresses", "shop-canary", annotation(rollout.AnnotationNginxCanaryWeight)), []string{"0", gone})
	case "gateway-api":
		mustEqual(t, "HTTPRoute canary weight", o.values("httproutes", "shop", routeWeight("web-canary")), []string{"none", "0", "none"})
	}
	if pin := o.values("services", "web", selectorValue("pod-template-hash")); pin[len(pin)-1] != "-" {
		t.Errorf("stable Service left pinned: %q", pin)
	}
}

// pauseSteps stop at an indefinite pause after a first weight.
const pauseSteps = "canary: {traffic: {nginx: {ingress: shop}}, steps: [{weight: 50}, {pause: {}}, {weight: 75}]}"

// pausedCanary starts a canary of 2.0 over 1.0 that stops at its pause.
func pausedCanary(t *testing.T) (*switchEnv, *background) {
	t.Helper()
	e := newSwitchEnv(t, "pause", pauseSteps)
	e.write(version{Tag: "1.0"})
	mustExit(t, e.promote("apply", "staging"), 0)
	e.observe(deployments, services, ingresses)
	e.write(version{Tag: "2.0"})
	run := e.start("apply", "staging")
	e.waitState("paused at step 2", func(st *release.State) bool { return st.Paused && st.Step == 2 })
	return e, run
}

// Given a canary paused at `pause: {}`, When `resume` runs in a second
// process, Then the first process goes on through the last step and
// succeeds; status showed the pause while it lasted.
func TestCanaryPauseResume(t *testing.T) {
	t.Parallel()
	e, run := pausedCanary(t)
	s := e.promote("status", "staging")
	mustExit(t, s, 0)
	for _, want := range []string{"canary, step 2/3: paused", "traffic: canary 50%, stable 50%", "waiting for `kubectl promote resume staging`"} {
		if !strings.Contains(s.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, s.stdout)
		}
	}
	time.Sleep(time.Second) // a pause holds: nothing moves
	mustEqual(t, "canary Ingress weight while paused", e.obs.values("ingresses", "shop-canary", annotation(rollout.AnnotationNginxCanaryWeight)), []string{"0", "50"})
	r := e.promote("resume", "staging")
	mustExit(t, r, 0)
	if !strings.Contains(r.stderr, "resumed") {
		t.Errorf("resume does not say it resumed:\n%s", r.stderr)
	}
	code, stderr := run.wait(t)
	if code != 0 {
		t.Fatalf("apply exit %d after resume:\n%s", code, stderr)
	}
	mustEqual(t, "canary Ingress weight", e.obs.values("ingresses", "shop-canary", annotation(rollout.AnnotationNginxCanaryWeight)), []string{"0", "50", "75", gone})
	mustEqual(t, "stable image", e.obs.values("deployments", "web", image), []string{"1.0", "2.0"})
	e.noState()
	e.noCanaryObjects()
	if r := e.promote("resume", "staging"); r.code != 2 {
		t.Errorf("resume with no rollout: exit %d, want 2\n%s", r.code, r.stderr)
	}
}

// Given a canary paused at `pause: {}`, When `abort` runs in a second
// process, Then traffic goes back to stable, the canary is removed, the
// first process exits 4 and the record says who aborted.
func TestCanaryAbort(t *testing.T) {
	t.Parallel()
	e, run := pausedCanary(t)
	a := e.promote("abort", "staging")
	mustExit(t, a, 0)
	code, stderr := run.wait(t)
	if code != 4 {
		t.Fatalf("apply exit %d after abort, want 4:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "aborted by") {
		t.Errorf("apply does not report the abort:\n%s", stderr)
	}
	rec := e.record(2)
	if rec.Status != release.RolledBack || !strings.Contains(rec.Reason, "aborted by") {
		t.Errorf("record 2: %s %q, want rolled-back, aborted by …", rec.Status, rec.Reason)
	}
	mustEqual(t, "canary Ingress weight", e.obs.values("ingresses", "shop-canary", annotation(rollout.AnnotationNginxCanaryWeight)), []string{"0", "50", "0", gone})
	mustEqual(t, "stable image", e.obs.values("deployments", "web", image), []string{"1.0"})
	mustEqual(t, "stable replicas", e.obs.values("deployments", "web", replicas), []string{"4"})
	e.noState()
	e.noCanaryObjects()
}

// Given a canary paused at `pause: {}`, When its process is killed, Then
// status explains that nobody drives it once the lease expired, and
// `resume` from a new process takes the lock and finishes the rollout
// from the recorded step.
func TestCanaryKilledThenResumed(t *testing.T) {
	t.Parallel()
	e, run := pausedCanary(t)
	_ = run.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = run.wait(t)
	e.waitLockExpired()
	s := e.promote("status", "staging")
	mustExit(t, s, 0)
	for _, want := range []string{"canary, step 2/3: paused", "interrupted: no process is driving this rollout", "kubectl promote resume staging"} {
		if !strings.Contains(s.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, s.stdout)
		}
	}
	r := e.promote("resume", "staging")
	mustExit(t, r, 0)
	if !strings.Contains(r.stderr, "took over a stale lock") || !strings.Contains(r.stderr, "continuing the rollout of revision 2 at step 2/3") {
		t.Errorf("resume does not say it took over:\n%s", r.stderr)
	}
	if rec := e.record(2); rec.Status != release.Succeeded {
		t.Errorf("record 2: %s, want succeeded", rec.Status)
	}
	mustEqual(t, "canary Ingress weight", e.obs.values("ingresses", "shop-canary", annotation(rollout.AnnotationNginxCanaryWeight)), []string{"0", "50", "75", gone})
	mustEqual(t, "stable image", e.obs.values("deployments", "web", image), []string{"1.0", "2.0"})
	e.noState()
	e.noCanaryObjects()
}

// waitLockExpired waits until the environment's lease has expired.
func (e *switchEnv) waitLockExpired() {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		h, exp, err := release.CurrentHolder(e.t.Context(), e.client, e.ns, "e2e", "staging")
		if err == nil && (h == nil || exp.Before(time.Now())) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.t.Fatal("the lock did not expire")
}

// Given a canary paused at `pause: {}`, When its process is killed, Then
// `abort` from a new process takes the lock, sends traffic back to stable
// and undoes the release: exit 0, the record rolled back.
func TestCanaryKilledThenAborted(t *testing.T) {
	t.Parallel()
	e, run := pausedCanary(t)
	_ = run.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = run.wait(t)
	e.waitLockExpired()
	a := e.promote("abort", "staging")
	mustExit(t, a, 0)
	if !strings.Contains(a.stderr, "revision 2 aborted: revision 1 runs again") {
		t.Errorf("abort does not report the outcome:\n%s", a.stderr)
	}
	if rec := e.record(2); rec.Status != release.RolledBack || rec.RolledBackTo != 1 {
		t.Errorf("record 2: %s to %d, want rolled-back to 1", rec.Status, rec.RolledBackTo)
	}
	mustEqual(t, "canary Ingress weight", e.obs.values("ingresses", "shop-canary", annotation(rollout.AnnotationNginxCanaryWeight)), []string{"0", "50", "0", gone})
	mustEqual(t, "stable image", e.obs.values("deployments", "web", image), []string{"1.0"})
	e.noState()
	e.noCanaryObjects()
}
