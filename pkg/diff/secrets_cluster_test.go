package diff

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Known Secret values: before (live) and after (render) the change.
const (
	oldPassword = "Old-Plain-Pw-1"
	oldToken    = "Old-Token-9"
	newPassword = "New-Plain-Pw-2"
	newToken    = "New-Token-7"
)

// knownSecrets are the values no output may contain.
var knownSecrets = []string{oldPassword, oldToken, newPassword, newToken}

// liveSecret is created the way client-side `kubectl apply` leaves it:
// values in data and in the last-applied annotation, plus an annotation a
// person copied a value into.
func liveSecret(ns string) *corev1.Secret {
	lastApplied := fmt.Sprintf(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds","namespace":%q},"stringData":{"pw":%q},"data":{"token":%q}}`,
		ns, oldPassword, base64.StdEncoding.EncodeToString([]byte(oldToken)))
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: ns, Annotations: map[string]string{
			LastAppliedAnnotation: lastApplied,
			"note":                "rotated from " + oldPassword,
		}},
		Data: map[string][]byte{"pw": []byte(oldPassword), "token": []byte(oldToken)},
	}
}

// renderedSecret changes both values, one through stringData, and the
// annotation.
func renderedSecret() string {
	return fmt.Sprintf(`{apiVersion: v1, kind: Secret, metadata: {name: creds, namespace: NS, annotations: {note: "rotated from %s"}},
  data: {token: %s}, stringData: {pw: %s}}`, newPassword, base64.StdEncoding.EncodeToString([]byte(newToken)), newPassword)
}

// Given a Secret whose known values sit in data, stringData and
// annotations, when the render changes them, then neither the text, the
// JSON, the Go values nor the -v=10 log contains any of them; with
// ShowSecrets the values are shown (so the check can see them).
func TestClusterDiffSecretsNeverLeak(t *testing.T) {
	e := newClusterEnv(t)
	// Applied by kubectl-promote, so that the render's new values are
	// changes, not conflicts with another manager.
	live, err := runtime.DefaultUnstructuredConverter.ToUnstructured(liveSecret(e.ns))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: live}
	u.SetAPIVersion("v1")
	u.SetKind("Secret")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	e.applyRaw(t, kube.FieldManager, u)
	log := testutil.CaptureKlog(t, 10)

	cs := e.diff(t, e.objs(t, renderedSecret()), e.options())

	klog.Flush()
	if !strings.Contains(log.String(), "Response Body") {
		t.Fatalf("no request bodies were logged at -v=10; the log check proves nothing:\n%s", log.String())
	}
	var text, js bytes.Buffer
	if err := WriteText(&text, cs, TextOptions{Context: 100}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, cs); err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]string{"text": text.String(), "json": js.String(),
		"change set": fmt.Sprintf("%+v", cs.Changes), "-v=10 log": log.String()} {
		if l := testutil.Leaks(out, knownSecrets...); l != nil {
			t.Errorf("%s leaks %q:\n%s", what, l, out)
		}
	}
	for _, marker := range []string{"pw: '*** (before)'", "pw: '*** (changed)'", "token: '*** (changed)'", "note: rotated from ***"} {
		if !strings.Contains(text.String(), marker) {
			t.Errorf("text lacks %q:\n%s", marker, text.String())
		}
	}

	opts := e.options()
	opts.ShowSecrets = true
	text.Reset()
	if err := WriteText(&text, e.diff(t, e.objs(t, renderedSecret()), opts), TextOptions{Context: 100}); err != nil {
		t.Fatal(err)
	}
	if l := testutil.Leaks(text.String(), knownSecrets...); len(l) == 0 {
		t.Errorf("with ShowSecrets the text shows no value:\n%s", text.String())
	}
}

// An error about a Secret never quotes its values, even when the
// apiserver echoes one back.
func TestClusterDiffSecretErrorsNeverLeak(t *testing.T) {
	e := newClusterEnv(t)
	log := testutil.CaptureKlog(t, 10)
	bad := fmt.Sprintf(`{apiVersion: v1, kind: Secret, metadata: {name: bad, namespace: NS, labels: {pw: "%s x"}}, stringData: {pw: %s}}`,
		newPassword, newPassword)

	_, err := Diff(t.Context(), e.clients, e.objs(t, bad), e.options())

	if err == nil {
		t.Fatal("Diff() of an invalid Secret succeeded")
	}
	if got := exitcode.Code(err); got != exitcode.Cluster {
		t.Errorf("exit code = %d, want %d", got, exitcode.Cluster)
	}
	if !strings.Contains(err.Error(), "dry-run rejected") || !strings.Contains(err.Error(), "*** x") {
		t.Errorf("error does not show the masked rejection: %v", err)
	}
	klog.Flush()
	for what, out := range map[string]string{"error": err.Error(), "-v=10 log": log.String()} {
		if l := testutil.Leaks(out, knownSecrets...); l != nil {
			t.Errorf("%s leaks %q:\n%s", what, l, out)
		}
	}
}

// A Secret another manager wrote with stringData does not make the diff
// conflict: stringData is sent as data (docs/diff.md).
func TestClusterDiffStringDataOfAnotherManager(t *testing.T) {
	e := newClusterEnv(t)
	theirs := `{apiVersion: v1, kind: Secret, metadata: {name: s, namespace: NS}, stringData: {pw: %s}}`
	e.applyRaw(t, "other-tool", e.objs(t, fmt.Sprintf(theirs, oldPassword))[0])

	cs := e.diff(t, e.objs(t, fmt.Sprintf(theirs, oldPassword)), e.options())

	if got := e.actions(cs)["Secret/NS/s"]; got != Configured {
		t.Errorf("action = %s, want configured (labels added, value the same)", got)
	}
}
