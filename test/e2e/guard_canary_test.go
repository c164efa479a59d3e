package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// Given a guard running and a canary with a timed pause, When a release is
// applied, Then `apply` exits at the pause (exit 0, the record still
// progressing, the state handed off) and the guard carries the rollout on:
// it holds what is left of the pause, runs the remaining step and the
// promotion, and the release succeeds with no canary object left. Without
// a guard, `apply` waits the pause out itself.
func TestGuardCarriesOnACanaryPause(t *testing.T) {
	t.Parallel()
	e := newSwitchEnv(t, "guard-canary", "canary: {steps: [{weight: 25}, {pause: {duration: 8s}}, {weight: 50}]}")
	e.write(version{Tag: "1.0"})
	mustExit(t, e.promote("apply", "staging"), 0)
	g := e.guard()
	e.waitHeartbeat(true)

	e.write(version{Tag: "2.0"})
	start := time.Now()
	res := e.promote("apply", "staging")
	mustExit(t, res, 0)
	handedAfter := time.Since(start)
	if !strings.Contains(res.stderr, "handed to the guard") {
		t.Errorf("apply does not say it handed the rollout to the guard:\n%s", res.stderr)
	}
	if rec := e.record(2); rec.Status != release.Progressing {
		t.Errorf("revision 2 is %s when apply exited, want progressing (the guard finishes it)", rec.Status)
	}
	for deadline := time.Now().Add(90 * time.Second); e.record(2).Status != release.Succeeded; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the guard did not finish the canary: revision 2 is %s\n%s", e.record(2).Status, readFile(t, g.stderr))
		}
	}
	t.Logf("apply handed the canary over after %s; the guard finished it %s after apply started", handedAfter.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
	e.noState()
	e.noCanaryObjects()
	d, err := e.client.AppsV1().Deployments(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":2.0") {
		t.Errorf("web runs %s after the guard's promotion, want 2.0", img)
	}
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, log := g.wait(t)
	for _, want := range []string{"event=continuing", "event=continued"} {
		if !strings.Contains(log, want) {
			t.Errorf("guard log lacks %q (exit %d):\n%s", want, code, log)
		}
	}

	e.waitHeartbeat(false)
	e.write(version{Tag: "3.0"})
	res = e.promote("apply", "staging")
	mustExit(t, res, 0)
	if rec := e.record(3); rec.Status != release.Succeeded || strings.Contains(res.stderr, "handed to the guard") {
		t.Errorf("without a guard, revision 3 is %s when apply exited, want succeeded:\n%s", rec.Status, res.stderr)
	}
	if st, _, _ := e.store().State(t.Context()); st != nil && st.Phase == rollout.PhaseHandedOff {
		t.Errorf("handed-off state without a guard: %+v", st)
	}
}
