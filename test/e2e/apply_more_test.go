package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// Given no earlier release, When the first release fails, Then the objects
// it created are deleted, it exits 4 and the record says so.
func TestApplyFirstReleaseFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(app{Tag: "1.0.0", Fate: "crashloop", Greeting: "hello", Service: true})
	r := e.promote("apply", "dev")
	mustExit(t, r, 4)
	if !strings.Contains(r.stderr, "no previous release") {
		t.Errorf("the undo of a first release is not explained:\n%s", r.stderr)
	}
	if e.hasService() {
		t.Error("the Service the failed first release created is still there")
	}
	if rec := e.record(1); rec.Status != release.RolledBack {
		t.Errorf("record 1 status %s, want rolled-back", rec.Status)
	}
}

// Given two releases, When `undo` runs, Then the first is back whole as a
// new revision; --to-revision picks one.
func TestUndoCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(good)
	mustExit(t, e.promote("apply", "dev"), 0)
	e.write(app{Tag: "2.0.0", Greeting: "bonjour", Service: false})
	mustExit(t, e.promote("apply", "dev"), 0)
	if e.hasService() {
		t.Fatal("revision 2 should have pruned the Service")
	}
	mustExit(t, e.promote("undo", "dev"), 0)
	if got := e.image(); got != "registry.example.com/shop/web:1.0.0" {
		t.Errorf("image after undo %s", got)
	}
	if e.greeting() != "hello" || !e.hasService() {
		t.Errorf("undo did not restore the whole release: greeting %q, service %v", e.greeting(), e.hasService())
	}
	if rec := e.record(3); rec.Status != release.Succeeded || rec.Source == nil || rec.Source.Revision != 1 {
		t.Errorf("record 3: %s from %+v; want succeeded from revision 1", rec.Status, rec.Source)
	}
	mustExit(t, e.promote("undo", "dev", "--to-revision", "2"), 0)
	if got := e.image(); got != "registry.example.com/shop/web:2.0.0" {
		t.Errorf("image after undo --to-revision 2: %s", got)
	}
	mustExit(t, e.promote("undo", "dev", "--to-revision", "99"), 2)
}

// Given a rollout in progress, When the apiserver is down for 10 s, Then
// the watch reports no false failure and the rollout completes. It runs on
// a cluster of its own, so that the other tests run beside it.
func TestApplySurvivesAPIServerOutage(t *testing.T) {
	t.Parallel()
	c := localcluster.Start(t, localcluster.Options{Name: "outage"})
	e := envIn(t, c, c.Namespace(t, "apply"))
	e.write(app{Tag: "1.0.0", Greeting: "hello", Service: true, Delay: "12s"})
	run := e.start("apply", "dev", "--timeout", "90s")
	e.waitForRevision(1)
	time.Sleep(time.Second)
	if err := c.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Second)
	if err := c.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(run.Wait()); code != 0 {
		t.Fatalf("apply across an apiserver outage exited %d\n%s", code, readFile(t, run.Stderr.(*os.File).Name()))
	}
	if rec := e.record(1); rec.Status != release.Succeeded {
		t.Errorf("record 1 status %s, want succeeded", rec.Status)
	}
}

// Given the README's minimal Role bound to a user, When that user runs
// apply, status, history and undo, Then each succeeds.
func TestMinimalRoleIsEnough(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	e := newEnv(t)
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "rbac-role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.Role
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := e.client.RbacV1().Roles(e.ns).Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ci"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "ci-bot"}},
	}
	if _, err := e.client.RbacV1().RoleBindings(e.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.kubeconfig = c.UserKubeconfig(t, "ci-bot")
	e.write(good)
	mustExit(t, e.promote("apply", "dev"), 0)
	e.write(app{Tag: "2.0.0", Greeting: "hi", Service: true})
	mustExit(t, e.promote("apply", "dev"), 0)
	mustExit(t, e.promote("status", "dev"), 0)
	mustExit(t, e.promote("history", "dev"), 0)
	mustExit(t, e.promote("undo", "dev"), 0)
	if got := e.image(); got != "registry.example.com/shop/web:1.0.0" {
		t.Errorf("image after undo by the CI user: %s", got)
	}
}
