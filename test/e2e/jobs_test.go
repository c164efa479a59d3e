package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
)

// writeJob puts a release of a ConfigMap and Job migrate (image tag) on disk.
func (e *appEnv) writeJob(tag, greeting string) {
	e.t.Helper()
	os.RemoveAll(filepath.Join(e.dir, "app"))
	testutil.WriteFiles(e.t, e.dir, map[string]string{
		"app/kustomization.yaml": kustomization + "resources: [config.yaml, job.yaml]\n",
		"app/config.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {greeting: " + greeting + "}\n",
		"app/job.yaml": fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: registry.example.com/shop/migrate:%s}]
`, tag),
	})
}

// Given a release with a Job, When the next release changes the Job's pod
// template (immutable), Then the server-side dry-run refuses it before any
// change: exit 3, the Job named, nothing applied, no new record.
func TestApplyChangedJobTemplateIsRefusedUpFront(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeJob("1.0.0", "hello")
	mustExit(t, e.promote("apply", "dev"), 0)

	e.writeJob("2.0.0", "bonjour")
	r := e.promote("apply", "dev")
	mustExit(t, r, 3)
	want := "Job/" + e.ns + "/migrate"
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "immutable") {
		t.Errorf("stderr does not name %s as immutable:\n%s", want, r.stderr)
	}
	cm, err := e.client.CoreV1().ConfigMaps(e.ns).Get(t.Context(), "web-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cm.Data["greeting"]; got != "hello" {
		t.Errorf("greeting %q: the refused release was partly applied", got)
	}
	if recs, err := e.store().List(t.Context()); err != nil || len(recs) != 1 {
		t.Errorf("records after the refusal: %d (%v), want only revision 1", len(recs), err)
	}
	t.Logf("stderr:\n%s", r.stderr)
}
