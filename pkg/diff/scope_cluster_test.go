package diff

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// A namespace that does not exist and is not in the render is a cluster
// error with a hint; one the render creates shows as created, with the
// objects inside it.
func TestClusterDiffNamespaces(t *testing.T) {
	e := newClusterEnv(t)
	missing := e.ns + "-missing"
	opts := e.options()
	opts.AllowedNamespaces = []string{missing}
	inMissing := `{apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: NS-missing}, data: {k: v}}`

	t.Run("missing and not rendered", func(t *testing.T) {
		_, err := Diff(t.Context(), e.clients, e.objs(t, inMissing, strings.Replace(inMissing, "name: a", "name: b", 1)), opts)
		want := `ConfigMap/` + missing + `/a and ConfigMap/` + missing + `/b: namespace "` + missing +
			`" does not exist: create it or add a Namespace to the render`
		if err == nil || err.Error() != want {
			t.Errorf("Diff() error =\n%v\nwant\n%s", err, want)
		}
		if got := exitcode.Code(err); got != exitcode.Cluster {
			t.Errorf("exit code = %d, want %d", got, exitcode.Cluster)
		}
	})
	t.Run("rendered", func(t *testing.T) {
		cs := e.diff(t, e.objs(t, `{apiVersion: v1, kind: Namespace, metadata: {name: NS-missing}}`, inMissing), opts)
		want := map[string]Action{"Namespace/NS-missing": Created, "ConfigMap/NS-missing/a": Created}
		if d := cmp.Diff(want, e.actions(cs)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
	})
	t.Run("another checkout's namespace", func(t *testing.T) {
		// A pipeline of the same name elsewhere owns NS-other with the same
		// labels: without an inventory it is not this one's to delete.
		other := e.objs(t, `{apiVersion: v1, kind: Namespace, metadata: {name: NS-other}}`)
		e.apply(t, kube.FieldManager, other...)
		t.Cleanup(func() {
			_ = e.clients.Typed.CoreV1().Namespaces().Delete(context.WithoutCancel(t.Context()), other[0].GetName(), metav1.DeleteOptions{})
		})
		cs := e.diff(t, e.objs(t, `{apiVersion: v1, kind: Namespace, metadata: {name: NS-missing}}`, inMissing), opts)
		want := map[string]Action{"Namespace/NS-missing": Created, "ConfigMap/NS-missing/a": Created}
		if d := cmp.Diff(want, e.actions(cs)); d != "" {
			t.Errorf("actions (-want +got):\n%s", d)
		}
	})
	t.Run("not allowed", func(t *testing.T) {
		_, err := Diff(t.Context(), e.clients, e.objs(t, strings.Replace(inMissing, "NS-missing", "kube-system", 1)), e.options())
		if got := exitcode.Code(err); got != exitcode.BadInput {
			t.Errorf("exit code = %d, want %d (error %v)", got, exitcode.BadInput, err)
		}
	})
}

const widgetCRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.diff.test}
spec:
  group: diff.test
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}`

const widget = `{apiVersion: diff.test/v1, kind: Widget, metadata: {name: w, namespace: NS}, spec: {size: 3}}`

// A kind whose CRD is missing is an error naming the object, unless the
// CRD is in the same render: then both show as created.
func TestClusterDiffCRDs(t *testing.T) {
	e := newClusterEnv(t)

	_, err := Diff(t.Context(), e.clients, e.objs(t, widget), e.options())
	want := `Widget/` + e.ns + `/w: the cluster serves no kind "Widget" in "diff.test/v1": ` +
		`install its CustomResourceDefinition first or add it to the render, or use an apiVersion the cluster serves`
	if err == nil || err.Error() != want {
		t.Errorf("Diff() error =\n%v\nwant\n%s", err, want)
	}
	if got := exitcode.Code(err); got != exitcode.Cluster {
		t.Errorf("exit code = %d, want %d", got, exitcode.Cluster)
	}

	cs := e.diff(t, e.objs(t, widgetCRD, widget), e.options())
	wantActions := map[string]Action{"CustomResourceDefinition/widgets.diff.test": Created, "Widget/NS/w": Created}
	if d := cmp.Diff(wantActions, e.actions(cs)); d != "" {
		t.Errorf("actions (-want +got):\n%s", d)
	}
}

// An unreachable cluster is exit 3, reported once, not once per object.
func TestClusterDiffUnreachable(t *testing.T) {
	e := newClusterEnv(t)
	cfg := e.cluster.RESTConfig()
	cfg.Host = "https://127.0.0.1:1"
	clients := mustClients(t, cfg)

	_, err := Diff(t.Context(), clients, e.objs(t, cmSame, cmNew), e.options())

	if got := exitcode.Code(err); got != exitcode.Cluster {
		t.Errorf("exit code = %d, want %d (error %v)", got, exitcode.Cluster, err)
	}
	var errs Errors
	if errors.As(err, &errs) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Diff() error = %v, want one connection-refused error", err)
	}
}
