package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// killRounds is how many SIGKILLs each strategy gets: PROMOTE_E2E_KILL_ROUNDS
// (the figure is 20), 3 by default to keep `make test` short.
func killRounds(t *testing.T) int {
	t.Helper()
	if s := os.Getenv("PROMOTE_E2E_KILL_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PROMOTE_E2E_KILL_ROUNDS=%q: want a positive number", s)
		}
		return n
	}
	return 3
}

// Given a rolling, canary or blue-green rollout, When its process is
// killed with SIGKILL at a random point, Then the next run takes the stale
// lock over and completes; no record is left progressing, the killed
// release is recorded interrupted (or finished before the kill), no
// rollout state or canary object is left, and the new release serves.
func TestSIGKILLAtRandomPoints(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PROMOTE_E2E_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("PROMOTE_E2E_SEED=%d", seed)
	strategies := []struct{ name, spec string }{
		{"rolling", "{}"},
		{"canary", "canary: {traffic: {nginx: {ingress: shop}}, steps: [{weight: 25}, {pause: {duration: 1s}}, {weight: 50}]}"},
		{"blueGreen", blueGreen(true, "2s")},
	}
	for i, s := range strategies {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			rnd := rand.New(rand.NewPCG(seed, uint64(i)))
			e := newSwitchEnv(t, "kill", s.spec)
			e.write(version{Tag: "1.0", Replicas: 3, Preview: true})
			mustExit(t, e.promote("apply", "staging"), 0)
			for round := range killRounds(t) {
				killed := fmt.Sprintf("%d.1", round+2)
				e.write(version{Tag: killed, Replicas: 3, Preview: true})
				run := e.start("apply", "staging")
				after := time.Duration(rnd.Int64N(int64(4 * time.Second)))
				time.Sleep(after)
				_ = run.cmd.Process.Signal(syscall.SIGKILL)
				code, _ := run.wait(t)
				if round == 0 {
					e.lockHolderGone(t)
				}
				next := fmt.Sprintf("%d.2", round+2)
				e.write(version{Tag: next, Replicas: 3, Preview: true})
				r := e.promote("apply", "staging", "--wait-for-lock", "30s")
				if r.code != 0 {
					t.Fatalf("round %d (killed after %s, exit %d): the next run exited %d\n%s", round, after, code, r.code, r.stderr)
				}
				e.consistent(t, s.name, next)
			}
		})
	}
}

// consistent checks the records, the state and the live release after a
// run that succeeded with image tag.
func (e *switchEnv) consistent(t *testing.T, strategy, tag string) {
	t.Helper()
	recs, err := e.store().List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	latest := recs[0]
	for _, r := range recs {
		if r.Revision > latest.Revision {
			latest = r
		}
		if r.Status == release.Progressing {
			t.Errorf("revision %d left progressing", r.Revision)
		}
		if r.Status == release.Interrupted && !strings.Contains(r.Reason, "interrupted") && !strings.Contains(r.Reason, "went away") {
			t.Errorf("revision %d interrupted without saying by whom: %q", r.Revision, r.Reason)
		}
	}
	if latest.Status != release.Succeeded {
		t.Errorf("latest revision %d: %s, want succeeded", latest.Revision, latest.Status)
	}
	e.noState()
	if strategy == "canary" {
		e.noCanaryObjects()
	}
	if got := e.servingImage(t, strategy); got != "registry.example.com/shop/web:"+tag {
		t.Errorf("serving %s, want tag %s", got, tag)
	}
	if h, _, err := release.CurrentHolder(t.Context(), e.client, e.ns, "e2e", "staging"); err != nil || h != nil {
		t.Errorf("lock after the run: %v, %v; want free", h, err)
	}
}

// servingImage is the image of the Deployment the Service web sends
// traffic to.
func (e *switchEnv) servingImage(t *testing.T, strategy string) string {
	t.Helper()
	name := "web"
	if strategy == "blueGreen" {
		svc, err := e.client.CoreV1().Services(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		name = "web-" + svc.Spec.Selector[rollout.LabelColor]
	}
	d, err := e.client.AppsV1().Deployments(e.ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

// lockHolderGone: while the killed run's lease lives on, status says that
// its process is gone from this host.
func (e *switchEnv) lockHolderGone(t *testing.T) {
	t.Helper()
	st := e.promote("status", "staging")
	out := st.stdout + st.stderr
	t.Logf("status after the kill:\n%s", out)
	if strings.Contains(out, "held by") && !strings.Contains(out, "that process is gone") {
		t.Errorf("status after SIGKILL does not say the holder is gone:\n%s", out)
	}
}
