package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// blueGreen is the strategy of these tests.
func blueGreen(autoPromote bool, scaleDownDelay string) string {
	return fmt.Sprintf("blueGreen: {activeService: web, previewService: web-preview, autoPromote: %v, scaleDownDelay: %s}", autoPromote, scaleDownDelay)
}

var colour = selectorValue(rollout.LabelColor)

// newBlueGreenEnv deploys 1.0 (a first release: blue, active at once) and
// starts observing.
func newBlueGreenEnv(t *testing.T, strategy string) *switchEnv {
	t.Helper()
	e := newSwitchEnv(t, "bluegreen", strategy)
	e.write(version{Tag: "1.0", Replicas: 3, Preview: true})
	mustExit(t, e.promote("apply", "staging"), 0)
	e.observe(deployments, services)
	return e
}

func readyReplicas(u *unstructured.Unstructured) int64 {
	n, _, _ := unstructured.NestedInt64(u.Object, "status", "readyReplicas")
	return n
}

// Given blue active, When a good release goes out, Then the preview Service
// moves to green first, the active Service flips to green only once green
// is fully ready, and blue is scaled to 0 only after the flip; the next
// release goes back to blue.
func TestBlueGreenSwitch(t *testing.T) {
	t.Parallel()
	e := newBlueGreenEnv(t, blueGreen(true, "2s"))
	if got := e.obs.values("services", "web", colour); len(got) != 1 || got[0] != "blue" {
		t.Fatalf("first release: active colour %q, want blue", got)
	}
	e.write(version{Tag: "2.0", Replicas: 3, Preview: true})
	mustExit(t, e.promote("apply", "staging"), 0)
	o := e.obs
	mustEqual(t, "active colour", o.values("services", "web", colour), []string{"blue", "green"})
	mustEqual(t, "preview colour", o.values("services", "web-preview", colour), []string{"blue", "green"})
	mustEqual(t, "blue replicas", o.values("deployments", "web-blue", replicas), []string{"3", "0"})
	mustEqual(t, "green image", o.values("deployments", "web-green", image), []string{"2.0"})
	isGreen := func(u *unstructured.Unstructured) bool { return colour(u) == "green" }
	flip := o.first("services", "web", isGreen)
	if preview := o.first("services", "web-preview", isGreen); preview < 0 || preview > flip {
		t.Errorf("the preview Service (change %d) did not move to green before the active one (change %d)", preview, flip)
	}
	if green := o.at("deployments", "web-green", flip); green == nil || readyReplicas(green) != 3 {
		t.Errorf("the active Service flipped before green was ready: %v", green)
	}
	if down := o.first("deployments", "web-blue", func(u *unstructured.Unstructured) bool { return replicas(u) == "0" }); down < flip {
		t.Errorf("blue was scaled down (change %d) before the flip (change %d)", down, flip)
	}
	s := e.promote("status", "staging")
	if !strings.Contains(s.stdout, "Health:  Healthy") && !strings.Contains(s.stdout, "Healthy") {
		t.Errorf("status after the switch:\n%s", s.stdout)
	}
	e.noState()
	e.write(version{Tag: "3.0", Replicas: 3, Preview: true})
	mustExit(t, e.promote("apply", "staging"), 0)
	mustEqual(t, "active colour", o.values("services", "web", colour), []string{"blue", "green", "blue"})
	mustEqual(t, "green replicas", o.values("deployments", "web-green", replicas), []string{"3", "0"})
	mustEqual(t, "blue image", o.values("deployments", "web-blue", image), []string{"1.0", "3.0"})
}

// Given autoPromote: false, When green is healthy, Then the rollout waits
// with the active Service on blue until `resume` from a second process.
func TestBlueGreenManualPromotion(t *testing.T) {
	t.Parallel()
	e := newBlueGreenEnv(t, blueGreen(false, "1s"))
	e.write(version{Tag: "2.0", Replicas: 3, Preview: true})
	run := e.start("apply", "staging")
	e.waitState("waiting for resume", func(st *release.State) bool { return st.Paused })
	s := e.promote("status", "staging")
	for _, want := range []string{"blueGreen, step 2/3: paused", "traffic: blue 100%, green 0%", "to switch Service web to green"} {
		if !strings.Contains(s.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, s.stdout)
		}
	}
	time.Sleep(time.Second)
	mustEqual(t, "active colour while paused", e.obs.values("services", "web", colour), []string{"blue"})
	mustEqual(t, "preview colour while paused", e.obs.values("services", "web-preview", colour), []string{"blue", "green"})
	mustExit(t, e.promote("resume", "staging"), 0)
	if code, stderr := run.wait(t); code != 0 {
		t.Fatalf("apply exit %d after resume:\n%s", code, stderr)
	}
	mustEqual(t, "active colour", e.obs.values("services", "web", colour), []string{"blue", "green"})
	mustEqual(t, "blue replicas", e.obs.values("deployments", "web-blue", replicas), []string{"3", "0"})
}

// Given blue active, When green crash-loops, Then the active Service is
// never touched, green is scaled to 0 and the record says rolled back.
func TestBlueGreenFailureBeforeSwitch(t *testing.T) {
	t.Parallel()
	e := newBlueGreenEnv(t, blueGreen(true, "2s"))
	before, err := e.client.CoreV1().Services(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.write(version{Tag: "2.0", Fate: "crashloop", Replicas: 3, Preview: true})
	res := e.promote("apply", "staging")
	mustExit(t, res, 4)
	after, err := e.client.CoreV1().Services(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("the active Service was written (resourceVersion %s → %s)", before.ResourceVersion, after.ResourceVersion)
	}
	mustEqual(t, "active colour", e.obs.values("services", "web", colour), []string{"blue"})
	mustEqual(t, "blue replicas", e.obs.values("deployments", "web-blue", replicas), []string{"3"})
	if got := e.obs.values("deployments", "web-green", replicas); len(got) == 0 || got[len(got)-1] != "0" {
		t.Errorf("green replicas %q: not scaled to 0", got)
	}
	if rec := e.record(2); rec.Status != release.RolledBack {
		t.Errorf("record 2: %s, want rolled-back", rec.Status)
	}
	e.noState()
}

// Given green just switched in, When it is aborted from a second process or
// one of its pods fails inside scaleDownDelay, Then the active Service
// flips straight back to blue, which was never scaled down.
func TestBlueGreenUndoInsideDelay(t *testing.T) {
	t.Parallel()
	for _, trigger := range []string{"abort", "pod-failure"} {
		t.Run(trigger, func(t *testing.T) {
			e := newBlueGreenEnv(t, blueGreen(true, "60s"))
			e.write(version{Tag: "2.0", Replicas: 3, Preview: true})
			run := e.start("apply", "staging")
			e.waitState("switched", func(st *release.State) bool { return st.Phase == rollout.PhaseSwitched })
			if trigger == "abort" {
				mustExit(t, e.promote("abort", "staging"), 0)
			} else {
				e.failOnePod("web-green")
			}
			code, stderr := run.wait(t)
			if code != 4 {
				t.Fatalf("apply exit %d, want 4:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "traffic is back on blue") {
				t.Errorf("the flip back is not reported:\n%s", stderr)
			}
			mustEqual(t, "active colour", e.obs.values("services", "web", colour), []string{"blue", "green", "blue"})
			mustEqual(t, "blue replicas", e.obs.values("deployments", "web-blue", replicas), []string{"3"})
			if got := e.obs.values("deployments", "web-green", replicas); got[len(got)-1] != "0" {
				t.Errorf("green replicas %q: not scaled to 0", got)
			}
			if rec := e.record(2); rec.Status != release.RolledBack {
				t.Errorf("record 2: %s, want rolled-back", rec.Status)
			}
			e.noState()
		})
	}
}

// failOnePod gives one pod of the Deployment name the crash-loop fate.
func (e *switchEnv) failOnePod(name string) {
	e.t.Helper()
	pods, err := e.client.CoreV1().Pods(e.ns).List(e.t.Context(), metav1.ListOptions{LabelSelector: "app=web," + rollout.LabelColor + "=" + strings.TrimPrefix(name, "web-")})
	if err != nil || len(pods.Items) == 0 {
		e.t.Fatalf("pods of %s: %v (%d)", name, err, len(pods.Items))
	}
	patch := []byte(`{"metadata":{"labels":{"promote.test/fate":"crashloop"}}}`)
	if _, err := e.client.CoreV1().Pods(e.ns).Patch(e.t.Context(), pods.Items[0].Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// Given green switched in and its process killed inside scaleDownDelay,
// When `resume` runs in a new process, Then it takes over, waits out what
// is left of the delay and scales blue down.
func TestBlueGreenKilledInsideDelayThenResumed(t *testing.T) {
	t.Parallel()
	e := newBlueGreenEnv(t, blueGreen(true, "8s"))
	e.write(version{Tag: "2.0", Replicas: 3, Preview: true})
	run := e.start("apply", "staging")
	e.waitState("switched", func(st *release.State) bool { return st.Phase == rollout.PhaseSwitched })
	_ = run.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = run.wait(t)
	e.waitLockExpired()
	s := e.promote("status", "staging")
	for _, want := range []string{"blueGreen, step 3/3: switched", "traffic: green 100%, blue 0%", "interrupted: no process is driving this rollout"} {
		if !strings.Contains(s.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, s.stdout)
		}
	}
	mustExit(t, e.promote("resume", "staging"), 0)
	mustEqual(t, "active colour", e.obs.values("services", "web", colour), []string{"blue", "green"})
	mustEqual(t, "blue replicas", e.obs.values("deployments", "web-blue", replicas), []string{"3", "0"})
	if rec := e.record(2); rec.Status != release.Succeeded {
		t.Errorf("record 2: %s, want succeeded", rec.Status)
	}
	e.noState()
}

// Given an environment deployed with the rolling strategy, When it turns
// blue-green, Then the active Service is first pinned to the running pods,
// flips to blue once blue is ready, and the plain Deployment is deleted
// after scaleDownDelay.
func TestBlueGreenFromRolling(t *testing.T) {
	t.Parallel()
	e := newSwitchEnv(t, "bluegreen", "{}")
	e.write(version{Tag: "1.0", Replicas: 3, Preview: true})
	mustExit(t, e.promote("apply", "staging"), 0)
	e.observe(deployments, services)
	e.setStrategy(blueGreen(true, "1s"))
	e.write(version{Tag: "2.0", Replicas: 3, Preview: true})
	mustExit(t, e.promote("apply", "staging"), 0)
	pin := e.obs.values("services", "web", selectorValue("pod-template-hash"))
	if len(pin) != 3 || pin[0] != "-" || pin[1] == "-" || pin[2] != "-" {
		t.Errorf("active Service pin: observed %q, want unpinned, pinned to the running pods, unpinned", pin)
	}
	mustEqual(t, "active colour", e.obs.values("services", "web", colour), []string{"-", "blue"})
	mustEqual(t, "plain Deployment", e.obs.values("deployments", "web", image), []string{"1.0", gone})
	mustEqual(t, "blue image", e.obs.values("deployments", "web-blue", image), []string{"2.0"})
}

// setStrategy rewrites the strategy of the environment.
func (e *switchEnv) setStrategy(strategy string) {
	e.t.Helper()
	path := filepath.Join(e.dir, "promote.yaml")
	b := readFile(e.t, path)
	i := strings.Index(b, "    strategy:\n")
	testutil.WriteFiles(e.t, e.dir, map[string]string{"promote.yaml": b[:i] + "    strategy:\n      " + strategy + "\n"})
}
