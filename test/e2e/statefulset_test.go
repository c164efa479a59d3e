package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// writeStatefulSet puts a release of StatefulSet db (2 replicas, image tag)
// with its headless Service on disk.
func (e *appEnv) writeStatefulSet(tag string) {
	e.t.Helper()
	os.RemoveAll(filepath.Join(e.dir, "app"))
	testutil.WriteFiles(e.t, e.dir, map[string]string{
		"app/kustomization.yaml": kustomization + "resources: [db.yaml]\n",
		"app/db.yaml": fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: registry.example.com/shop/db:%s}]
`, tag),
	})
}

// Given a StatefulSet release, When the next release crash-loops, Then the
// undo does not stop at reverting the template (the StatefulSet controller
// never replaces a pod of the failed revision that is not Ready): exit 4,
// and every pod is back on the previous image and Ready.
func TestApplyCrashLoopingStatefulSetIsUndone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeStatefulSet("1.0.0")
	mustExit(t, e.promote("apply", "dev"), 0)

	e.writeStatefulSet("2.0.0-crashloop")
	r := e.promote("apply", "dev")
	mustExit(t, r, 4)
	if rec := e.record(2); rec.Status != release.RolledBack {
		t.Errorf("record 2: %s, want rolled-back", rec.Status)
	}
	e.eventually("every db pod on 1.0.0 and Ready", func(ctx context.Context) bool {
		pods, err := e.client.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=db"})
		if err != nil || len(pods.Items) != 2 {
			return false
		}
		for _, p := range pods.Items {
			if p.Spec.Containers[0].Image != "registry.example.com/shop/db:1.0.0" || !podReady(&p) {
				return false
			}
		}
		return true
	})
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Given a StatefulSet whose updateStrategy is OnDelete, When it is
// applied, Then the release is refused before any change (exit 2): its
// controller never rolls pods, so there would be no rollout to watch.
func TestApplyOnDeleteStatefulSetIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.writeStatefulSet("1.0.0")
	path := filepath.Join(e.dir, "app", "db.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	testutil.WriteFiles(t, e.dir, map[string]string{"app/db.yaml": strings.Replace(string(b),
		"  serviceName: db\n", "  serviceName: db\n  updateStrategy: {type: OnDelete}\n", 1)})
	r := e.promote("apply", "dev")
	mustExit(t, r, 2)
	if !strings.Contains(r.stderr, "StatefulSet/"+e.ns+"/db: updateStrategy OnDelete is not supported") {
		t.Errorf("stderr does not say why:\n%s", r.stderr)
	}
	if _, err := e.client.AppsV1().StatefulSets(e.ns).Get(t.Context(), "db", metav1.GetOptions{}); err == nil {
		t.Error("the refused StatefulSet was created")
	}
}
