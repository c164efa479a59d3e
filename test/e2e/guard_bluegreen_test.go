package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// writeLateCrash puts version v on disk with pods that are Ready and start
// crash-looping after (test/localcluster's late-crash fate).
func (e *switchEnv) writeLateCrash(v version, after string) {
	e.t.Helper()
	v.Fate = "late-crash"
	e.write(v)
	path := filepath.Join(e.dir, "app", "deploy.yaml")
	b := readFile(e.t, path)
	b = strings.Replace(b, "promote.test/fate: late-crash}}", "promote.test/fate: late-crash}, annotations: {promote.test/crash-after: "+after+"}}", 1)
	if err := os.WriteFile(path, []byte(b), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// guard runs `kubectl promote guard staging` with seconds-long waits.
func (e *switchEnv) guard(args ...string) *background {
	e.t.Helper()
	return e.start(append([]string{"guard", "staging", "--leader-elect=false", "--interval", "200ms", "--lock-lease", "3s"}, args...)...)
}

// activeColour is the colour the live active Service web selects.
func (e *switchEnv) activeColour() string {
	e.t.Helper()
	svc, err := e.client.CoreV1().Services(e.ns).Get(e.t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc.Spec.Selector[rollout.LabelColor]
}

// Given a blue-green release (green) that crash-loops after `apply` exited
// 0 with blue scaled down, When a guard runs, Then it undoes the release
// blue-green: blue runs 1.0 again and the active Service selects it, green
// is scaled to 0, and revision 2 is recorded rolled-back by the guard.
func TestGuardUndoesABlueGreenRelease(t *testing.T) {
	t.Parallel()
	e := newBlueGreenEnv(t, blueGreen(false, "1s"))
	e.writeLateCrash(version{Tag: "2.0", Replicas: 2, Preview: true}, "12s")
	run := e.start("apply", "staging")
	e.waitState("waiting for resume", func(st *release.State) bool { return st.Paused })
	mustExit(t, e.promote("resume", "staging"), 0)
	if code, stderr := run.wait(t); code != 0 {
		t.Fatalf("apply exit %d:\n%s", code, stderr)
	}
	if got := e.activeColour(); got != "green" {
		t.Fatalf("active colour after apply %q, want green", got)
	}
	code, log := e.guard("--until-idle").wait(t)
	if code != 4 {
		t.Fatalf("guard exit code %d, want 4\n%s", code, log)
	}
	rec := e.record(2)
	if rec.Status != release.RolledBack || rec.By != release.ByGuard || rec.RolledBackTo != 1 || rec.Failure == nil {
		t.Fatalf("revision 2: %s by %q to %d, failure %+v; want rolled-back by guard to 1", rec.Status, rec.By, rec.RolledBackTo, rec.Failure)
	}
	if !strings.Contains(rec.Failure.Object, "Pod/"+e.ns+"/web-green-") {
		t.Errorf("failure on %s, want a pod of web-green", rec.Failure.Object)
	}
	if got := e.activeColour(); got != "blue" {
		t.Errorf("active colour after the guard's undo %q, want blue", got)
	}
	if strings.Contains(log, "paused") {
		t.Errorf("the guard's undo waited for resume:\n%s", log)
	}
	mustEqual(t, "blue image", e.obs.values("deployments", "web-blue", image), []string{"1.0"})
	if got := e.obs.values("deployments", "web-green", replicas); len(got) == 0 || got[len(got)-1] != "0" {
		t.Errorf("green replicas %q: not scaled to 0", got)
	}
	if r3 := e.record(3); r3.Status != release.Succeeded || r3.Source == nil || r3.Source.Revision != 1 {
		t.Errorf("revision 3: %s from %+v, want succeeded from revision 1", r3.Status, r3.Source)
	}
	e.noState()
}

// waitHeartbeat waits until the guard's heartbeat Lease of staging exists
// (live) or is gone.
func (e *switchEnv) waitHeartbeat(live bool) {
	e.t.Helper()
	name := rollout.GuardHeartbeatName("e2e", "staging")
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, err := e.client.CoordinationV1().Leases(e.ns).Get(e.t.Context(), name, metav1.GetOptions{})
		if (err == nil) == live {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("timed out waiting for the guard heartbeat Lease %s to be live=%v", name, live)
}

// lastReplicas is the last observed replicas of Deployment name.
func (e *switchEnv) lastReplicas(name string) string {
	got := e.obs.values("deployments", name, replicas)
	if len(got) == 0 {
		return ""
	}
	return got[len(got)-1]
}

// Given a guard running, When a blue-green release switches, Then `apply`
// exits after the switch with the release succeeded and blue still up (the
// state says handed off), and the guard scales blue to 0 when the delay
// ends; once the guard is stopped, `apply` waits out the delay itself again.
func TestGuardTakesOverTheScaleDownDelay(t *testing.T) {
	t.Parallel()
	e := newBlueGreenEnv(t, blueGreen(true, "8s"))
	g := e.guard()
	e.waitHeartbeat(true)
	e.write(version{Tag: "2.0", Replicas: 3, Preview: true})
	res := e.promote("apply", "staging")
	mustExit(t, res, 0)
	if !strings.Contains(res.stderr, "the guard") {
		t.Errorf("apply does not say it handed the delay to the guard:\n%s", res.stderr)
	}
	if got := e.lastReplicas("web-blue"); got != "3" {
		t.Fatalf("blue replicas %q when apply exited, want 3: apply waited out the delay", got)
	}
	st := e.waitState("handed off", func(st *release.State) bool { return st.Phase == rollout.PhaseHandedOff })
	if st.CanaryRevision != 2 {
		t.Errorf("handed-off state of revision %d, want 2", st.CanaryRevision)
	}
	if rec := e.record(2); rec.Status != release.Succeeded {
		t.Errorf("revision 2: %s, want succeeded", rec.Status)
	}
	if s := e.promote("status", "staging"); !strings.Contains(s.stdout, "scaled down by the guard") || strings.Contains(s.stdout, "interrupted") {
		t.Errorf("status of the handed-off rollout:\n%s", s.stdout)
	}
	for deadline := time.Now().Add(60 * time.Second); e.lastReplicas("web-blue") != "0"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the guard did not scale blue down: replicas %q\n%s", e.obs.values("deployments", "web-blue", replicas), readFile(t, g.stderr))
		}
	}
	mustEqual(t, "active colour", e.obs.values("services", "web", colour), []string{"blue", "green"})
	e.noState()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, log := g.wait(t); code != 0 || !strings.Contains(log, "event=scaled-down") {
		t.Errorf("guard exit %d, want 0 with a scaled-down event:\n%s", code, log)
	}
	e.waitHeartbeat(false)
	e.write(version{Tag: "3.0", Replicas: 3, Preview: true})
	mustExit(t, e.promote("apply", "staging"), 0)
	if got := e.lastReplicas("web-green"); got != "0" {
		t.Errorf("without a guard, green replicas %q when apply exited, want 0", got)
	}
	e.noState()
}

// Given a blue-green release handed off to the guard, When it crash-loops
// inside its scale-down delay, Then the guard flips the active Service back
// to blue at once (no new revision) and records it rolled-back by the guard.
func TestGuardFlipsBackInsideTheScaleDownDelay(t *testing.T) {
	t.Parallel()
	e := newBlueGreenEnv(t, blueGreen(true, "60s"))
	g := e.guard("--until-idle")
	e.waitHeartbeat(true)
	e.writeLateCrash(version{Tag: "2.0", Replicas: 2, Preview: true}, "12s")
	mustExit(t, e.promote("apply", "staging"), 0)
	if got := e.activeColour(); got != "green" {
		t.Fatalf("active colour after apply %q, want green", got)
	}
	code, log := g.wait(t)
	if code != 4 {
		t.Fatalf("guard exit code %d, want 4\n%s", code, log)
	}
	rec := e.record(2)
	if rec.Status != release.RolledBack || rec.By != release.ByGuard || rec.RolledBackTo != 1 {
		t.Fatalf("revision 2: %s by %q to %d, want rolled-back by guard to 1\n%s", rec.Status, rec.By, rec.RolledBackTo, log)
	}
	if got := e.activeColour(); got != "blue" {
		t.Errorf("active colour after the guard's undo %q, want blue", got)
	}
	if _, err := e.store().Get(t.Context(), 3); err == nil {
		t.Errorf("revision 3 exists: the guard redeployed instead of flipping back")
	}
	mustEqual(t, "blue replicas", e.obs.values("deployments", "web-blue", replicas), []string{"3"})
	if got := e.lastReplicas("web-green"); got != "0" {
		t.Errorf("green replicas %q, want 0", got)
	}
	e.noState()
}

// Given a scale-down delay handed to the guard, When the next release is
// deployed inside it, Then the deploy replaces it (the new release goes to
// blue, which still ran) and says so, without calling it unfinished.
func TestGuardHandOffReplacedByADeploy(t *testing.T) {
	t.Parallel()
	e := newBlueGreenEnv(t, blueGreen(true, "60s"))
	e.guard()
	e.waitHeartbeat(true)
	e.write(version{Tag: "2.0", Replicas: 3, Preview: true})
	mustExit(t, e.promote("apply", "staging"), 0)
	e.waitState("handed off", func(st *release.State) bool { return st.Phase == rollout.PhaseHandedOff })
	e.write(version{Tag: "3.0", Replicas: 3, Preview: true})
	res := e.promote("apply", "staging")
	mustExit(t, res, 0)
	if !strings.Contains(res.stderr, "replaces the scale-down delay of revision 2") || strings.Contains(res.stderr, "left unfinished") {
		t.Errorf("apply of revision 3 does not say it replaces the handed-off delay:\n%s", res.stderr)
	}
	mustEqual(t, "active colour", e.obs.values("services", "web", colour), []string{"blue", "green", "blue"})
	mustEqual(t, "blue image", e.obs.values("deployments", "web-blue", image), []string{"1.0", "3.0"})
	if rec := e.record(2); rec.Status != release.Succeeded {
		t.Errorf("revision 2: %s, want succeeded", rec.Status)
	}
}
