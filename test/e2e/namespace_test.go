package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// newEmptyEnv is newEnv on a namespace that does not exist yet (deleted
// after the test if a run created it), with version a of the application;
// with own, the render holds its Namespace object.
func newEmptyEnv(t *testing.T, a app, own bool) *appEnv {
	t.Helper()
	c := localcluster.Shared(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	e := envIn(t, c, missingNamespace(t, client))
	e.write(a)
	if own {
		k, err := os.ReadFile(filepath.Join(e.dir, "app/kustomization.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		testutil.WriteFiles(t, e.dir, map[string]string{
			"app/kustomization.yaml": string(k) + "- namespace.yaml\n",
			"app/namespace.yaml":     "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + e.ns + "}\n",
		})
	}
	return e
}

// missingNamespace is a fresh namespace name, deleted after the test if a
// run created it.
func missingNamespace(t *testing.T, client kubernetes.Interface) string {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	ns := "empty-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		_ = client.CoreV1().Namespaces().Delete(context.WithoutCancel(t.Context()), ns, metav1.DeleteOptions{})
	})
	return ns
}

// namespaceLabels are the labels of e's namespace; nil when it is missing.
func (e *appEnv) namespaceLabels() map[string]string {
	e.t.Helper()
	n, err := e.client.CoreV1().Namespaces().Get(e.t.Context(), e.ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	if n.Labels == nil {
		return map[string]string{}
	}
	return n.Labels
}

// mustBeDeployed checks that release 1 of e succeeded, with its lock in
// e's namespace.
func (e *appEnv) mustBeDeployed() {
	e.t.Helper()
	if rec := e.record(1); rec.Status != release.Succeeded {
		e.t.Errorf("revision 1 is %s, want succeeded", rec.Status)
	}
	if _, err := e.client.CoordinationV1().Leases(e.ns).Get(e.t.Context(), "promote-e2e-dev", metav1.GetOptions{}); err != nil {
		e.t.Errorf("lock Lease: %v", err)
	}
}

// Given an empty cluster and a render holding the environment's Namespace,
// When it is diffed, Then the Namespace and everything else show as
// created; When it is applied, Then it goes out whole, the Namespace first
// with the owner labels, the lock and the record in it.
func TestApplyOnEmptyClusterAppliesTheRenderedNamespace(t *testing.T) {
	t.Parallel()
	e := newEmptyEnv(t, good, true)
	d := e.promote("diff", "dev")
	mustExit(t, d, 1)
	for _, want := range []string{"Namespace/" + e.ns + " created", "Deployment/" + e.ns + "/web created", "4 to create, 0 to change, 0 to delete"} {
		if !strings.Contains(d.stdout, want) {
			t.Errorf("diff lacks %q:\n%s\n%s", want, d.stdout, d.stderr)
		}
	}
	a := e.promote("apply", "dev")
	mustExit(t, a, 0)
	if want := "namespace: created Namespace/" + e.ns + " from the render"; !strings.Contains(a.stderr, want) {
		t.Errorf("apply does not say %q:\n%s", want, a.stderr)
	}
	if got := e.namespaceLabels()["promote.kubectl-plugin.dev/environment"]; got != "dev" {
		t.Errorf("namespace labels %v, want the owner labels", e.namespaceLabels())
	}
	e.mustBeDeployed()
}

// Given an empty cluster and a render without the environment's Namespace,
// When it is applied without --create-namespace, Then it fails with exit 3
// naming the namespace and the way out, and creates nothing; When it is
// applied with --create-namespace, Then the namespace is created, labelled
// as kubectl-promote's, and the release goes out.
func TestApplyOnEmptyClusterNeedsCreateNamespace(t *testing.T) {
	t.Parallel()
	e := newEmptyEnv(t, good, false)
	r := e.promote("apply", "dev")
	mustExit(t, r, 3)
	for _, want := range []string{"namespace " + e.ns + " does not exist", "--create-namespace", "add a Namespace " + e.ns + " to the render"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if l := e.namespaceLabels(); l != nil {
		t.Fatalf("namespace %s was created by a failed run", e.ns)
	}
	mustExit(t, e.promote("apply", "dev", "--create-namespace"), 0)
	if got := e.namespaceLabels()["app.kubernetes.io/managed-by"]; got != "kubectl-promote" {
		t.Errorf("namespace labels %v, want app.kubernetes.io/managed-by=kubectl-promote", e.namespaceLabels())
	}
	e.mustBeDeployed()
}

// Given an empty cluster and a render holding the environment's Namespace,
// When a first release that crash-loops is applied, Then the undo deletes
// what it created but keeps the Namespace (deleting it would delete the
// records and the lock with it), and the record says rolled back.
func TestFailedFirstReleaseKeepsTheRenderedNamespace(t *testing.T) {
	t.Parallel()
	e := newEmptyEnv(t, app{Tag: "2.0.0", Fate: "crashloop", Greeting: "broken", Service: true}, true)
	mustExit(t, e.promote("apply", "dev"), 4)
	if e.namespaceLabels() == nil {
		t.Fatalf("the undo of the first release deleted namespace %s", e.ns)
	}
	if e.hasService() {
		t.Error("the undo of the first release left Service web it created")
	}
	if rec := e.record(1); rec.Status != release.RolledBack {
		t.Errorf("revision 1 is %s, want rolled back", rec.Status)
	}
}

// Given an empty cluster and a two-environment pipeline whose renders hold
// no Namespace, When the demo's first commands run (apply dev, then promote
// staging, both with --create-namespace), Then both go out, each in its own
// new namespace; When dev is applied again with the flag, Then the namespace
// that exists now is simply used.
func TestDemoCommandsOnEmptyCluster(t *testing.T) {
	t.Parallel()
	e := newEmptyEnv(t, good, false)
	staging := missingNamespace(t, e.client)
	testutil.WriteFiles(t, e.dir, map[string]string{"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: e2e}
spec:
  environments:
  - name: dev
    namespace: %s
    source: {kustomize: {path: app}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s}
  - name: staging
    from: dev
    namespace: %s
    source: {kustomize: {path: app}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s}
`, e.ns, staging)})
	mustExit(t, e.promote("apply", "dev", "--yes", "--create-namespace"), 0)
	mustExit(t, e.promote("staging", "--yes", "--approve", "--create-namespace"), 0)
	rec, err := release.NewStore(e.client, staging, "e2e", "staging").Get(t.Context(), 1)
	if err != nil {
		t.Fatalf("staging revision 1: %v", err)
	}
	if rec.Status != release.Succeeded || rec.Source == nil || rec.Source.Environment != "dev" {
		t.Errorf("staging revision 1: %s from %+v; want succeeded from dev", rec.Status, rec.Source)
	}
	mustExit(t, e.promote("apply", "dev", "--yes", "--create-namespace"), 0)
	if rec := e.record(2); rec.Status != release.Succeeded {
		t.Errorf("dev revision 2 is %s, want succeeded", rec.Status)
	}
}
