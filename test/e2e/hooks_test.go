package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// hookJob is one hook Job of testdata/hooks-chart.
type hookJob struct {
	Name   string `json:"name"`
	Events string `json:"events"`
	Weight int    `json:"weight,omitempty"`
	Policy string `json:"policy,omitempty"`
	Tag    string `json:"tag,omitempty"`    // image tag; a fate suffix picks the pod's fate
	Result string `json:"result,omitempty"` // failed: the Job's pod exits 1
}

// hookRelease is one release of testdata/hooks-chart.
type hookRelease struct {
	Tag         string    `json:"tag"`
	Greeting    string    `json:"greeting"`
	Hooks       []hookJob `json:"hooks"`
	ConfigHooks []hookJob `json:"configHooks,omitempty"` // ConfigMaps: name, events, weight
}

// newHookEnv is a one-environment pipeline (dev) deploying a copy of
// testdata/hooks-chart into a fresh namespace of the shared cluster.
func newHookEnv(t *testing.T) *appEnv {
	t.Helper()
	t.Parallel()
	c := localcluster.Shared(t)
	e := envIn(t, c, c.Namespace(t, "hooks"))
	if err := os.CopyFS(filepath.Join(e.dir, "chart"), os.DirFS("testdata/hooks-chart")); err != nil {
		t.Fatal(err)
	}
	testutil.WriteFiles(t, e.dir, map[string]string{"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: e2e}
spec:
  environments:
  - name: dev
    namespace: %s
    source: {helm: {chart: chart, releaseName: hooked, values: [values-dev.yaml]}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s, restartLimit: 2}
`, e.ns)})
	return e
}

// writeHooks puts release r's values on disk.
func (e *appEnv) writeHooks(r hookRelease) {
	e.t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		e.t.Fatal(err)
	}
	testutil.WriteFiles(e.t, e.dir, map[string]string{"values-dev.yaml": string(b)})
}

// hookRuns are rev's recorded hook runs as "event Job/ns/name outcome".
func (e *appEnv) hookRuns(rev int) []string {
	e.t.Helper()
	var out []string
	for _, r := range e.record(rev).HookRuns {
		out = append(out, fmt.Sprintf("%s %s %s", r.Event, strings.Replace(strings.TrimPrefix(r.Hook, "Job/"), e.ns+"/", "", 1), r.Outcome))
	}
	return out
}

// jobUID is the uid of Job name, "" when there is none.
func (e *appEnv) jobUID(name string) types.UID {
	e.t.Helper()
	j, err := e.client.BatchV1().Jobs(e.ns).Get(e.t.Context(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return j.UID
}

// before fails unless a occurs in s, and before b.
func before(t *testing.T, s, a, b string) {
	t.Helper()
	i, j := strings.Index(s, a), strings.Index(s, b)
	if i < 0 || j < 0 || i > j {
		t.Errorf("want %q before %q in:\n%s", a, b, s)
	}
}

// Given a chart with pre-install/pre-upgrade and post-install/post-upgrade
// Jobs and a ConfigMap hook, When it is installed and then upgraded, Then
// the hooks of each event run in weight order (then by name), pre hooks
// before the apply and post hooks after the release is healthy;
// hook-succeeded Jobs are gone afterwards and a before-hook-creation Job
// is replaced by the next release's.
func TestHooksRunAroundTheApply(t *testing.T) {
	e := newHookEnv(t)
	hooks := []hookJob{
		{Name: "migrate", Events: "pre-install,pre-upgrade"},
		{Name: "seed", Events: "pre-install", Weight: -1, Policy: "hook-succeeded"},
		{Name: "notify", Events: "post-install,post-upgrade", Policy: "hook-succeeded"},
	}
	config := []hookJob{{Name: "flags", Events: "pre-install"}}
	e.writeHooks(hookRelease{Tag: "1.0.0", Greeting: "hello", Hooks: hooks, ConfigHooks: config})
	mustExit(t, e.promote("apply", "dev"), 0)
	want := []string{"pre-install seed succeeded", "pre-install ConfigMap/flags succeeded", "pre-install migrate succeeded", "post-install notify succeeded"}
	if diff := cmp.Diff(want, e.hookRuns(1)); diff != "" {
		t.Errorf("revision 1 hook runs (-want +got):\n%s", diff)
	}
	first := e.jobUID("migrate")
	if first == "" || e.jobUID("seed") != "" || e.jobUID("notify") != "" {
		t.Errorf("after install: migrate %q (want kept), seed %q and notify %q (want deleted: hook-succeeded)", first, e.jobUID("seed"), e.jobUID("notify"))
	}

	e.writeHooks(hookRelease{Tag: "2.0.0", Greeting: "hello", Hooks: hooks, ConfigHooks: config})
	r := e.promote("apply", "dev", "--dry-run")
	mustExit(t, r, 0)
	for _, s := range []string{"would run the pre-upgrade hooks Job/" + e.ns + "/migrate", "would run the post-upgrade hooks Job/" + e.ns + "/notify"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("--dry-run does not say %q:\n%s", s, r.stderr)
		}
	}
	if uid := e.jobUID("migrate"); uid != first {
		t.Errorf("--dry-run replaced the migrate Job")
	}
	r = e.promote("apply", "dev")
	mustExit(t, r, 0)
	want = []string{"pre-upgrade migrate succeeded", "post-upgrade notify succeeded"}
	if diff := cmp.Diff(want, e.hookRuns(2)); diff != "" {
		t.Errorf("revision 2 hook runs (-want +got):\n%s", diff)
	}
	if second := e.jobUID("migrate"); second == "" || second == first {
		t.Errorf("migrate uid %q after the upgrade, was %q: before-hook-creation must replace it", second, first)
	}
	before(t, r.stderr, "pre-upgrade hook Job/"+e.ns+"/migrate succeeded", " apply: ")
	before(t, r.stderr, "stayed healthy for", "post-upgrade hook Job/"+e.ns+"/notify: running")
	if got := e.image(); got != "registry.example.com/shop/web:2.0.0" {
		t.Errorf("image %s after the upgrade", got)
	}
}

// Given a running release, When the next one's pre-upgrade migration Job
// crash-loops, Then the run stops on the pod's CrashLoopBackOff (not the
// hook's timeout), exits 4 and nothing but the hook changed.
func TestHooksCrashLoopingPreUpgradeChangesNothing(t *testing.T) {
	e := newHookEnv(t)
	e.writeHooks(hookRelease{Tag: "1.0.0", Greeting: "hello", Hooks: []hookJob{{Name: "migrate", Events: "pre-install,pre-upgrade"}}})
	mustExit(t, e.promote("apply", "dev"), 0)
	d0, err := e.client.AppsV1().Deployments(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm0, err := e.client.CoreV1().ConfigMaps(e.ns).Get(t.Context(), "web-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	e.writeHooks(hookRelease{Tag: "2.0.0", Greeting: "bonjour", Hooks: []hookJob{{Name: "migrate", Events: "pre-install,pre-upgrade", Tag: "2.0.0-crashloop"}}})
	start := time.Now()
	r := e.promote("apply", "dev")
	t.Logf("crash-looping pre-upgrade hook: exit %d after %s", r.code, time.Since(start).Round(100*time.Millisecond))
	t.Logf("stderr:\n%s", r.stderr)
	mustExit(t, r, 4)
	if !strings.Contains(r.stderr, "pre-upgrade hook Job/"+e.ns+"/migrate failed") || !strings.Contains(r.stderr, "CrashLoopBackOff") {
		t.Errorf("stderr does not name the hook and its pod's reason:\n%s", r.stderr)
	}
	d1, err := e.client.AppsV1().Deployments(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm1, err := e.client.CoreV1().ConfigMaps(e.ns).Get(t.Context(), "web-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d1.UID != d0.UID || d1.Generation != d0.Generation || cm1.UID != cm0.UID || cm1.ResourceVersion != cm0.ResourceVersion {
		t.Errorf("changed: Deployment uid %s→%s generation %d→%d, ConfigMap uid %s→%s resourceVersion %s→%s",
			d0.UID, d1.UID, d0.Generation, d1.Generation, cm0.UID, cm1.UID, cm0.ResourceVersion, cm1.ResourceVersion)
	}
	rec := e.record(2)
	if rec.Status != release.Failed || rec.Failure == nil || rec.Failure.Reason != "CrashLoopBackOff" {
		t.Errorf("revision 2: status %s, failure %+v; want failed, CrashLoopBackOff", rec.Status, rec.Failure)
	}
	if diff := cmp.Diff([]string{"pre-upgrade migrate failed"}, e.hookRuns(2)); diff != "" {
		t.Errorf("revision 2 hook runs (-want +got):\n%s", diff)
	}
}

// Given a release with rollback hooks, When the next release's
// post-upgrade Job fails, Then the release is undone (exit 4) between the
// previous release's pre-rollback and post-rollback hooks, and the failed
// hook-failed Job is deleted.
func TestHooksFailingPostUpgradeIsUndone(t *testing.T) {
	e := newHookEnv(t)
	e.writeHooks(hookRelease{Tag: "1.0.0", Greeting: "hello", Hooks: []hookJob{
		{Name: "pre-rb", Events: "pre-rollback", Policy: "hook-succeeded"},
		{Name: "post-rb", Events: "post-rollback"},
	}})
	mustExit(t, e.promote("apply", "dev"), 0)

	e.writeHooks(hookRelease{Tag: "2.0.0", Greeting: "bonjour", Hooks: []hookJob{
		{Name: "smoke", Events: "post-upgrade", Result: "failed", Policy: "hook-failed"},
	}})
	r := e.promote("apply", "dev")
	t.Logf("stderr:\n%s", r.stderr)
	mustExit(t, r, 4)
	if !strings.Contains(r.stderr, "post-upgrade hook Job/"+e.ns+"/smoke failed") {
		t.Errorf("stderr does not name the failed hook:\n%s", r.stderr)
	}
	rec := e.record(2)
	if rec.Status != release.RolledBack {
		t.Errorf("revision 2 status %s, want rolled-back", rec.Status)
	}
	want := []string{"post-upgrade smoke failed", "pre-rollback pre-rb succeeded", "post-rollback post-rb succeeded"}
	if diff := cmp.Diff(want, e.hookRuns(2)); diff != "" {
		t.Errorf("revision 2 hook runs (-want +got):\n%s", diff)
	}
	if got := e.image(); got != "registry.example.com/shop/web:1.0.0" || e.greeting() != "hello" {
		t.Errorf("after the undo: image %s, greeting %s; want revision 1's", got, e.greeting())
	}
	if e.jobUID("smoke") != "" || e.jobUID("pre-rb") != "" || e.jobUID("post-rb") == "" {
		t.Errorf("jobs: smoke %q (hook-failed: want gone), pre-rb %q (hook-succeeded: want gone), post-rb %q (want kept)",
			e.jobUID("smoke"), e.jobUID("pre-rb"), e.jobUID("post-rb"))
	}
}

// Given releases with a test hook, When `test` runs, Then it passes (exit
// 0) while the test Job completes and fails (exit 4, naming it) when it
// fails; apply never runs a test hook; with no release there is nothing
// to test (exit 6).
func TestHooksTestCommand(t *testing.T) {
	e := newHookEnv(t)
	e.writeHooks(hookRelease{Tag: "1.0.0", Greeting: "hello", Hooks: []hookJob{{Name: "check", Events: "test", Policy: "hook-succeeded"}}})
	if r := e.promote("test", "dev"); r.code != 6 || r.stdout != "" || !strings.Contains(r.stderr, "no successful release to test") {
		t.Errorf("test before any release: exit %d, stdout %q, stderr %q; want 6, nothing, the reason", r.code, r.stdout, r.stderr)
	}
	mustExit(t, e.promote("apply", "dev"), 0)
	if runs := e.hookRuns(1); len(runs) != 0 || e.jobUID("check") != "" {
		t.Errorf("apply ran the test hook: %v", runs)
	}
	r := e.promote("test", "dev")
	mustExit(t, r, 0)
	if !strings.Contains(r.stdout, "Job/"+e.ns+"/check") || !strings.Contains(r.stdout, "succeeded") {
		t.Errorf("stdout does not show the passed test:\n%s", r.stdout)
	}

	e.writeHooks(hookRelease{Tag: "1.0.0", Greeting: "hello", Hooks: []hookJob{{Name: "check", Events: "test", Result: "failed"}}})
	mustExit(t, e.promote("apply", "dev"), 0)
	r = e.promote("test", "dev")
	mustExit(t, r, 4)
	if !strings.Contains(r.stderr, "test hook Job/"+e.ns+"/check failed") || !strings.Contains(r.stderr, "exit code 1") {
		t.Errorf("stderr does not name the failed test and its pod's reason:\n%s", r.stderr)
	}
}

// Given two releases, When `undo` goes back to the first, Then the first
// release's rollback hooks run around the re-apply, as `helm rollback`
// runs the target's, and no upgrade hook runs.
func TestHooksUndoRunsTheTargetsRollbackHooks(t *testing.T) {
	e := newHookEnv(t)
	e.writeHooks(hookRelease{Tag: "1.0.0", Greeting: "hello", Hooks: []hookJob{
		{Name: "restore", Events: "pre-rollback", Policy: "hook-succeeded"},
		{Name: "migrate", Events: "pre-upgrade"},
	}})
	mustExit(t, e.promote("apply", "dev"), 0)
	e.writeHooks(hookRelease{Tag: "2.0.0", Greeting: "hello", Hooks: []hookJob{{Name: "migrate", Events: "pre-upgrade"}}})
	mustExit(t, e.promote("apply", "dev"), 0)

	mustExit(t, e.promote("undo", "dev"), 0)
	if diff := cmp.Diff([]string{"pre-rollback restore succeeded"}, e.hookRuns(3)); diff != "" {
		t.Errorf("undo's hook runs (-want +got):\n%s", diff)
	}
	if got := e.image(); got != "registry.example.com/shop/web:1.0.0" {
		t.Errorf("image %s after the undo, want revision 1's", got)
	}
}
