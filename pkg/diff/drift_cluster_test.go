package diff

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// setImage changes the image of Deployment web as `kubectl set image`
// does: a strategic merge patch by the field manager "kubectl-set", which
// the server records as an Update.
func (e clusterEnv) setImage(t *testing.T, image string) {
	t.Helper()
	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"` + image + `"}]}}}}`
	_, err := e.clients.Typed.AppsV1().Deployments(e.ns).Patch(t.Context(), "web", types.StrategicMergePatchType,
		[]byte(patch), metav1.PatchOptions{FieldManager: "kubectl-set"})
	if err != nil {
		t.Fatal(err)
	}
}

// liveImage reads the image of Deployment web.
func (e clusterEnv) liveImage(t *testing.T) string {
	t.Helper()
	d, err := e.clients.Typed.AppsV1().Deployments(e.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

// Given a Deployment the tool applied, when someone runs `kubectl set
// image` by hand, then the diff shows the drift: the image going back to
// the rendered one, marked as owned by "kubectl-set", with differences and
// no error (exit 1); the cluster is not changed, and without Drift (as
// apply's preflight runs it) the same diff is still a conflict (exit 3).
func TestClusterDiffShowsDrift(t *testing.T) {
	e := newClusterEnv(t)
	e.apply(t, kube.FieldManager, e.objs(t, cmSame, deployment("web:1.0", 2))...)
	e.setImage(t, "web:hand")
	render := e.objs(t, cmSame, deployment("web:1.0", 2))

	opts := e.options()
	opts.Drift = true
	cs := e.diff(t, render, opts)

	if d := cmp.Diff(map[string]Action{"ConfigMap/NS/same": Unchanged, "Deployment/NS/web": Configured}, e.actions(cs)); d != "" {
		t.Errorf("actions (-want +got):\n%s", d)
	}
	if !cs.HasDifferences() {
		t.Error("HasDifferences() = false, want true (exit 1)")
	}
	image := `.spec.template.spec.containers[name="web"].image`
	drifted := cs.Conflicted()
	if len(drifted) != 1 {
		t.Fatalf("Conflicted() = %d changes, want 1", len(drifted))
	}
	web := drifted[0]
	if d := cmp.Diff([]Conflict{{Manager: "kubectl-set", Fields: []string{image}}}, web.Conflicts); d != "" {
		t.Errorf("conflicts (-want +got):\n%s", d)
	}
	wantFields := []FieldChange{{Path: ".spec.template.spec.containers[name=web].image", Old: "web:hand", New: "web:1.0"}}
	if d := cmp.Diff(wantFields, web.Fields); d != "" {
		t.Errorf("fields (-want +got):\n%s", d)
	}
	var text bytes.Buffer
	if err := WriteText(&text, cs, TextOptions{Context: 0}); err != nil {
		t.Fatal(err)
	}
	line := "Deployment/" + e.ns + "/web: drift: " + image + ` owned by field manager "kubectl-set": apply needs --force-conflicts to take it over`
	if !strings.Contains(text.String(), line+"\n") {
		t.Errorf("text output lacks %q:\n%s", line, text.String())
	}
	if got := e.liveImage(t); got != "web:hand" {
		t.Errorf("live image = %q after the diff, want web:hand (a diff changes nothing)", got)
	}

	_, err := Diff(t.Context(), e.clients, render, e.options())
	var conflict *ConflictError
	if !errors.As(err, &conflict) || exitcode.Code(err) != exitcode.Cluster {
		t.Errorf("without Drift: Diff() error = %v (exit %d), want a conflict with exit 3", err, exitcode.Code(err))
	}
}
