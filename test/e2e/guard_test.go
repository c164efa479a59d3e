package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/prometheus"
)

// lateCrash is a release whose pods are Ready, so `apply` succeeds, and
// start crash-looping crashAfter later (test/localcluster's late-crash fate).
func (e *appEnv) writeLateCrash(crashAfter string) {
	e.t.Helper()
	e.write(app{Tag: "2.0.0", Fate: "late-crash", Greeting: "late", Service: true})
	path := filepath.Join(e.dir, "app", "deploy.yaml")
	b := readFile(e.t, path)
	b = strings.Replace(b, "annotations: {}", "annotations: {promote.test/crash-after: "+crashAfter+"}", 1)
	if err := os.WriteFile(path, []byte(b), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// guardProc is a running `kubectl promote guard`.
type guardProc struct {
	cmd    *exec.Cmd
	stderr string // its file
}

// startGuard runs the guard of dev with seconds-long waits; args add flags.
func (e *appEnv) startGuard(args ...string) *guardProc {
	e.t.Helper()
	base := []string{"guard", "dev", "--interval", "200ms", "--metrics-address", "127.0.0.1:0",
		"--leader-elect-lease", "3s", "--leader-elect-renew", "2s", "--leader-elect-retry", "500ms"}
	cmd := e.start(append(base, args...)...)
	return &guardProc{cmd: cmd, stderr: cmd.Stderr.(*os.File).Name()}
}

func (g *guardProc) log(t *testing.T) string { t.Helper(); return readFile(t, g.stderr) }

// wait waits for the guard to exit and returns its exit code.
func (g *guardProc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- g.cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(err)
	case <-time.After(within):
		_ = g.cmd.Process.Kill()
		<-done
		t.Fatalf("guard still running after %s:\n%s", within, g.log(t))
		return -1
	}
}

var metricsURL = regexp.MustCompile(`url"?[=:]"?(http://[0-9.:]+)`)

// metrics scrapes the guard's /metrics and parses it with Prometheus's
// text parser.
func (g *guardProc) metrics(t *testing.T, e *appEnv) map[string]float64 {
	t.Helper()
	resp, err := http.Get(g.url(t, e) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "kubectl_promote_guard_") {
			continue
		}
		for _, m := range f.Metric {
			key := name
			for _, l := range m.Label {
				key += fmt.Sprintf(",%s=%s", l.GetName(), l.GetValue())
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key+",count"] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// url is the base URL of the guard's /metrics, from its log.
func (g *guardProc) url(t *testing.T, e *appEnv) string {
	t.Helper()
	var base string
	e.eventually("the guard to serve /metrics", func(context.Context) bool {
		m := metricsURL.FindStringSubmatch(g.log(t))
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	return base
}

// promQuery asks Prometheus for one scalar value of query; "" when it has none yet.
func promQuery(t *testing.T, prom *prometheus.Server, query string) string {
	t.Helper()
	resp, err := http.Get(prom.Address + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Data.Result) == 0 || len(body.Data.Result[0].Value) != 2 {
		return ""
	}
	return fmt.Sprint(body.Data.Result[0].Value[1])
}

// lateCrashAfterGood deploys a good release (1) and a late-crashing one (2)
// whose `apply` exits 0.
func lateCrashAfterGood(t *testing.T, crashAfter string) *appEnv {
	t.Helper()
	e := newEnv(t)
	e.write(good)
	mustExit(t, e.promote("apply", "dev"), 0)
	e.writeLateCrash(crashAfter)
	mustExit(t, e.promote("apply", "dev"), 0)
	return e
}

// undoneByGuard checks that revision 2 is recorded rolled-back by the
// guard with the pod's reason, and that revision 1's release runs again as
// revision 3.
func (e *appEnv) undoneByGuard() {
	e.t.Helper()
	rec := e.record(2)
	if rec.Status != release.RolledBack || rec.By != release.ByGuard || rec.RolledBackTo != 1 || rec.Failure == nil {
		e.t.Fatalf("revision 2: status %s, by %q, rolledBackTo %d, failure %+v; want rolled-back by guard to 1 with a failure",
			rec.Status, rec.By, rec.RolledBackTo, rec.Failure)
	}
	if !strings.Contains(rec.Reason, rec.Failure.Reason) || !strings.Contains(rec.Failure.Object, "Pod/") {
		e.t.Errorf("revision 2: reason %q, failure %+v; want the pod and its reason", rec.Reason, rec.Failure)
	}
	if r3 := e.record(3); r3.Status != release.Succeeded || r3.Source == nil || r3.Source.Revision != 1 {
		e.t.Errorf("revision 3: status %s, source %+v; want succeeded from revision 1", r3.Status, r3.Source)
	}
	if got := e.image(); got != "registry.example.com/shop/web:1.0.0" {
		e.t.Errorf("image after the guard's undo %s", got)
	}
	if got := e.greeting(); got != "hello" {
		e.t.Errorf("greeting after the guard's undo %q: the undo was not whole", got)
	}
}

// Given a release that succeeded and crash-loops seconds after `apply`
// exited 0, When a guard runs (--until-idle, as a CI job would), Then it
// undoes the release whole, records it rolled-back by the guard, and exits 4;
// /metrics said the release was guarded.
func TestGuardUndoesALateCrash(t *testing.T) {
	t.Parallel()
	e := lateCrashAfterGood(t, "8s")
	hooks := e.guardWebhook()
	g := e.startGuard("--until-idle", "--leader-elect=false")
	e.eventually("/metrics to say the release is guarded", func(context.Context) bool {
		return g.metrics(t, e)["kubectl_promote_guard_guarded_releases,environment=dev"] == 1
	})
	if code := g.wait(t, 90*time.Second); code != 4 {
		t.Fatalf("guard exit code %d, want 4\n%s", code, g.log(t))
	}
	e.undoneByGuard()
	h := e.promote("history", "dev", "-o", "json")
	mustExit(t, h, 0)
	if !strings.Contains(h.stdout, `"by": "guard"`) || !strings.Contains(h.stdout, "detected by the guard") {
		t.Errorf("history does not say the guard undid revision 2:\n%s", h.stdout)
	}
	log := g.log(t)
	for _, want := range []string{"event=failure-detected", "event=undo-started", "event=rolled-back"} {
		if !strings.Contains(log, want) {
			t.Errorf("guard log lacks %q:\n%s", want, log)
		}
	}
	var got []string
	for _, r := range hooks.got("/guard/") {
		var ev cloudEvent
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatalf("webhook body %q: %v", r.body, err)
		}
		if ev.Data.By != "guard" || ev.Data.Revision != 2 || ev.Data.Environment != "dev" || !strings.Contains(ev.Data.Reason, "Pod/") {
			t.Errorf("guard notification %+v: want revision 2 of dev, by guard, naming the pod", ev.Data)
		}
		got = append(got, ev.Data.Kind+"/"+ev.Data.Outcome)
	}
	// The first delivery is answered 503 and retried.
	if want := []string{"failed/failed", "failed/failed", "rolled-back/rolled-back"}; !slices.Equal(got, want) {
		t.Errorf("the guard's webhook got %v, want %v", got, want)
	}
}

// guardWebhook adds to e's promote.yaml a CloudEvents webhook whose URL a
// Secret of e's namespace holds, served on loopback; the deploys before
// this send nothing to it.
func (e *appEnv) guardWebhook() *hookReceiver {
	e.t.Helper()
	hooks := &hookReceiver{}
	srv := httptest.NewServer(hooks)
	e.t.Cleanup(srv.Close)
	_, err := e.client.CoreV1().Secrets(e.ns).Create(e.t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "guard-hook"},
		StringData: map[string]string{"url": srv.URL + "/guard/"},
	}, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(e.dir, "promote.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	notify := "  notify:\n    webhooks:\n    - {name: ops, format: cloudevents, events: [failed, rolled-back, undo-failed], " +
		"urlFrom: {secretRef: {name: guard-hook, key: url}}}\n    retry: {attempts: 3, backoff: 100ms}\n"
	out := strings.Replace(string(b), "spec:\n", "spec:\n"+notify, 1)
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return hooks
}

// Given two guards running at once without leader election, When the
// release fails late, Then it is undone once: one new revision, one undo
// counted across both /metrics.
func TestGuardTwoGuardsUndoOnce(t *testing.T) {
	t.Parallel()
	e := lateCrashAfterGood(t, "6s")
	a := e.startGuard("--leader-elect=false", "--log-format", "json")
	b := e.startGuard("--leader-elect=false", "--log-format", "json")
	e.eventually("the guard's undo to be recorded", func(ctx context.Context) bool {
		rec, err := e.store().Get(ctx, 2)
		return err == nil && rec.Status == release.RolledBack
	})
	e.undoneByGuard()
	// Both saw the failure; give the second time to act on it too.
	time.Sleep(3 * time.Second)
	if _, err := e.store().Get(t.Context(), 4); err == nil {
		t.Errorf("revision 4 exists: the release was undone twice\n%s\n%s", a.log(t), b.log(t))
	}
	undos := 0.0
	for _, g := range []*guardProc{a, b} {
		undos += g.metrics(t, e)["kubectl_promote_guard_undos_total,environment=dev,result=succeeded"]
	}
	if undos != 1 {
		t.Errorf("undos across both guards %v, want 1", undos)
	}
	if !strings.Contains(a.log(t)+b.log(t), `"event":"rolled-back"`) {
		t.Errorf("no JSON log line of the undo:\n%s\n%s", a.log(t), b.log(t))
	}
	for _, line := range strings.Split(strings.TrimSpace(a.log(t)+b.log(t)), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("--log-format json printed a line that is not JSON: %s", line)
		}
	}
	// The real Prometheus scrapes both guards and sees one undo.
	prom := prometheus.Start(t, prometheus.Host(a.url(t, e)), prometheus.Host(b.url(t, e)))
	query := `sum(kubectl_promote_guard_undos_total{result="succeeded"})`
	e.eventually("Prometheus to scrape both guards", func(context.Context) bool {
		return promQuery(t, prom, `count(up{job="test"} == 1)`) == "2" && promQuery(t, prom, query) != ""
	})
	if got := promQuery(t, prom, query); got != "1" {
		t.Errorf("Prometheus: %s = %s, want 1", query, got)
	}
}

// Given two guard replicas electing a leader, When the leader is killed
// (SIGKILL) and a release then fails late, Then the other replica takes
// over and undoes it.
func TestGuardLeaderKilled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(good)
	mustExit(t, e.promote("apply", "dev"), 0)
	a, b := e.startGuard(), e.startGuard()
	var leader, other *guardProc
	e.eventually("a leader", func(context.Context) bool {
		switch {
		case strings.Contains(a.log(t), "leading: guarding"):
			leader, other = a, b
		case strings.Contains(b.log(t), "leading: guarding"):
			leader, other = b, a
		}
		return leader != nil
	})
	_ = leader.cmd.Process.Signal(syscall.SIGKILL)
	_ = leader.cmd.Wait()
	e.writeLateCrash("6s")
	mustExit(t, e.promote("apply", "dev"), 0)
	e.eventually("the other replica to lead", func(context.Context) bool {
		return strings.Contains(other.log(t), "leading: guarding")
	})
	e.eventually("the guard's undo to be recorded", func(ctx context.Context) bool {
		rec, err := e.store().Get(ctx, 2)
		return err == nil && rec.Status == release.RolledBack
	})
	e.undoneByGuard()
}

// Given a late-failing release, When another run holds the environment's
// lock (a deploy in progress), Then the guard leaves the environment alone;
// once the lock is free it undoes the release.
func TestGuardLeavesALockedEnvironmentAlone(t *testing.T) {
	t.Parallel()
	e := lateCrashAfterGood(t, "4s")
	lock, err := release.Acquire(t.Context(), e.client, e.ns, "e2e", "dev",
		release.Holder{User: "deployer", Host: "ci"}, release.LockOptions{LeaseDuration: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	g := e.startGuard("--until-idle", "--leader-elect=false")
	// The crash comes 4s after Ready; the guard reads the lock every 200ms.
	time.Sleep(8 * time.Second)
	if rec := e.record(2); rec.Status != release.Succeeded {
		t.Fatalf("revision 2 is %s while another run held the lock; want it left alone\n%s", rec.Status, g.log(t))
	}
	if err := lock.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := g.wait(t, 90*time.Second); code != 4 {
		t.Fatalf("guard exit code %d, want 4\n%s", code, g.log(t))
	}
	e.undoneByGuard()
}

// Given a guard undoing a late failure, When its lock is broken
// (`unlock --force`), Then the guard stops writing like any fenced writer:
// its undo revision is recorded interrupted and the failed release is not
// recorded as undone by it.
func TestGuardIsFenced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	slow := good
	slow.Delay = "20s"
	e.write(slow)
	mustExit(t, e.promote("apply", "dev", "--timeout", "90s"), 0)
	e.writeLateCrash("4s")
	mustExit(t, e.promote("apply", "dev"), 0)
	g := e.startGuard("--until-idle", "--leader-elect=false")
	e.waitForRevision(3) // the guard's undo is rolling out (its pods take 20s)
	mustExit(t, e.promote("unlock", "dev", "--force"), 0)
	code := g.wait(t, 90*time.Second)
	if code != 5 {
		t.Errorf("guard exit code %d, want 5 (the undo was stopped)\n%s", code, g.log(t))
	}
	if rec := e.record(2); rec.By == release.ByGuard {
		t.Errorf("revision 2 recorded %s by the guard after it lost its lock", rec.Status)
	}
	if rec := e.record(3); rec.Status != release.Interrupted {
		t.Errorf("revision 3 (the guard's undo) is %s, want interrupted\n%s", rec.Status, g.log(t))
	}
}

// Given a pipeline, When `guard --print-manifests --image IMG` runs, Then it
// prints a two-replica Deployment, a ServiceAccount, the pipeline in a
// ConfigMap, and a Role and RoleBinding per environment namespace — no
// cluster-wide rights — without touching a cluster; without --image it is
// a usage error.
func TestCLIGuardPrintManifests(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testutil.WriteFiles(t, dir, overlays)
	testutil.WriteFiles(t, dir, map[string]string{"promote.yaml": header + env("dev", "", "overlays/dev") + env("prod", "dev", "overlays/prod")})
	res := promote(t, dir, "guard", "--print-manifests", "--image", "registry.example.com/kubectl-promote:1.0.0")
	mustExit(t, res, 0)
	for _, want := range []string{"kind: Deployment", "replicas: 2", "kind: ServiceAccount", "namespace: shop-dev", "namespace: shop-prod",
		"- --in-cluster", "- dev\n", "- prod\n", "image: registry.example.com/kubectl-promote:1.0.0", "promote.yaml: |"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("manifests lack %q:\n%s", want, res.stdout)
		}
	}
	if n := strings.Count(res.stdout, "\nkind: Role\n"); n != 2 {
		t.Errorf("%d Roles, want one per environment namespace (2)", n)
	}
	if strings.Contains(res.stdout, "ClusterRole") {
		t.Errorf("manifests grant cluster-wide rights:\n%s", res.stdout)
	}
	mustExit(t, promote(t, dir, "guard", "--print-manifests"), 2)
}

// Given a canary with a `pause: {}` step that finished and whose pods crash
// later, When the guard undoes it, Then the undo rolls back at once: no
// canary steps, no pause waiting for `resume`.
func TestGuardUndoesACanaryWithoutItsPauses(t *testing.T) {
	t.Parallel()
	e := newSwitchEnv(t, "guard-canary", pauseSteps)
	e.write(version{Tag: "1.0"})
	mustExit(t, e.promote("apply", "staging"), 0)
	e.write(version{Tag: "2.0", Fate: "late-crash"})
	path := filepath.Join(e.dir, "app", "deploy.yaml")
	b := strings.Replace(readFile(t, path), "promote.test/fate: late-crash}}", "promote.test/fate: late-crash}, annotations: {promote.test/crash-after: 12s}}", 1)
	if err := os.WriteFile(path, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	run := e.start("apply", "staging")
	e.waitState("paused at step 2", func(st *release.State) bool { return st.Paused && st.Step == 2 })
	mustExit(t, e.promote("resume", "staging"), 0)
	if code, stderr := run.wait(t); code != 0 {
		t.Fatalf("apply exit %d after resume:\n%s", code, stderr)
	}
	g := e.start("guard", "staging", "--until-idle", "--leader-elect=false", "--interval", "200ms", "--lock-lease", "3s")
	code, log := g.wait(t)
	if code != 4 {
		t.Fatalf("guard exit code %d, want 4\n%s", code, log)
	}
	rec := e.record(2)
	if rec.Status != release.RolledBack || rec.By != release.ByGuard {
		t.Fatalf("revision 2: %s by %q, want rolled-back by guard", rec.Status, rec.By)
	}
	if strings.Contains(log, "paused") {
		t.Errorf("the guard's undo paused:\n%s", log)
	}
	e.noCanaryObjects()
}
