package diff

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// leakSecret holds "p@ss\"word!" in data (base64), "token-1234" in
// stringData and an older "oldpass99" only in its last-applied annotation.
const leakSecret = `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {
  kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"pw":"oldpass99"}}'}},
  data: {pw: cEBzcyJ3b3JkIQ==}, stringData: {tok: token-1234}}`

func TestRedactorString(t *testing.T) {
	r := NewRedactor(obj(t, leakSecret))
	tests := []struct{ in, want string }{
		{`plain p@ss"word! here`, `plain *** here`},
		{`json "p@ss\"word!"`, `json "***"`},
		{`twice-quoted p@ss\\\"word!`, `twice-quoted ***`},
		{`base64 cEBzcyJ3b3JkIQ==`, `base64 ***`},
		{`stringData token-1234 and dG9rZW4tMTIzNA==`, `stringData *** and ***`},
		{`from last-applied oldpass99`, `from last-applied ***`},
		{`nothing secret`, `nothing secret`},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactorErrorKeepsExitCode(t *testing.T) {
	r := NewRedactor(obj(t, leakSecret))
	err := r.Error(exitcode.With(exitcode.Cluster, errors.New("Secret/ns/s: rejected token-1234")))
	if got, want := err.Error(), "Secret/ns/s: rejected ***"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := exitcode.Code(err); got != exitcode.Cluster {
		t.Errorf("exit code = %d, want %d", got, exitcode.Cluster)
	}
}

func TestRedactorContextMasksLogs(t *testing.T) {
	var lines []string
	base := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{Verbosity: 10})
	ctx := klog.NewContext(t.Context(), base)
	ctx = NewRedactor(obj(t, leakSecret)).Context(ctx)
	logger := klog.FromContext(ctx)
	logger.V(8).Info("Request Body", "body", `{"data":{"pw":"cEBzcyJ3b3JkIQ=="}}`)
	logger.V(8).Info("Response Body", "body", []byte("anything at all"))
	logger.V(6).Info("HTTP", "url", "/api/v1/namespaces/ns/secrets/s", "note", "token-1234")
	logger.WithValues("k", "oldpass99").Error(errors.New("failed with token-1234"), "request failed")
	want := []string{
		`"level"=8 "msg"="Request Body" "body"="<masked: may contain Secret values>"`,
		`"level"=8 "msg"="Response Body" "body"="<masked: may contain Secret values>"`,
		`"level"=6 "msg"="HTTP" "url"="/api/v1/namespaces/ns/secrets/s" "note"="***"`,
		`"msg"="request failed" "error"="failed with ***" "k"="***"`,
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("log lines (-want +got):\n%s", d)
	}
	for _, l := range lines {
		if strings.Contains(l, "token-1234") || strings.Contains(l, "cEBzcyJ3b3JkIQ") {
			t.Errorf("log line leaks a value: %s", l)
		}
	}
}

// TestRedactorShortAndQuotedValues: values under four bytes are hidden only
// as whole values after their own key, so a Secret {pin: "1"} does not
// blank every "1"; binary values are hidden in their Go-quoted and JSON
// forms too.
func TestRedactorShortAndQuotedValues(t *testing.T) {
	// pin: "1", bin: "\x00\xffk\n" (AP9rCg== in base64), tag: "no".
	r := NewRedactor(obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: s},
		data: {pin: MQ==, bin: AP9rCg==}, stringData: {tag: "no"}}`))
	tests := []struct{ in, want string }{
		{`replicas: 1, pin: 1`, `replicas: 1, pin: ***`},
		{`{"pin":"1","replicas":"1"}`, `{"pin":"***","replicas":"1"}`},
		{`{\"pin\":\"1\"}`, `{\"pin\":\"***\"}`},
		{`data.pin=1)`, `data.pin=***)`},
		{`spin: 1 and pin: 10`, `spin: 1 and pin: 10`},
		{`tag: no`, `tag: ***`},
		{`no, not here`, `no, not here`},
		{`base64 of pin MQ==`, `base64 of pin ***`},
		{fmt.Sprintf("quoted %q", "\x00\xffk\n"), `quoted "***"`},
		{fmt.Sprintf("ascii %+q", "\x00\xffk\n"), `ascii "***"`},
		{`json "\u0000\ufffdk\n"`, `json "***"`},
		{`base64 AP9rCg==`, `base64 ***`},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRedactorMalformedSecrets: a data or stringData that is not a map is
// a value as a whole, in every encoding.
func TestRedactorMalformedSecrets(t *testing.T) {
	r := NewRedactor(
		obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: a}, stringData: canary-one}`),
		obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: b}, data: [canary-two, {x: 987654}]}`),
		obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: c}, data: {k: {nested: canary-three}}}`))
	in := `canary-one Y2FuYXJ5LW9uZQ== "canary-two" Y2FuYXJ5LXR3bw== 987654 &{canary-three [] {}}`
	want := `*** *** "***" *** *** &{*** [] {}}`
	if got := r.String(in); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestKnownLearnsFromPrepareAndRedactors: the process-wide Redactor knows
// what Prepare and NewRedactor saw.
func TestKnownLearnsFromPrepareAndRedactors(t *testing.T) {
	_, _ = Prepare([]*unstructured.Unstructured{obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: p}, stringData: prepared-canary}`)}, Owner{})
	NewRedactor(obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: q}, data: {k: bGl2ZS1jYW5hcnk=}}`))
	Learn(obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: q}, stringData: {k: learnt-canary}}`))
	got := Known().String("prepared-canary live-canary learnt-canary")
	if want := "*** *** ***"; got != want {
		t.Errorf("Known().String() = %q, want %q", got, want)
	}
}

// TestRedactorLoggerAndWriter: the global logger masks bodies that hold
// Secrets (only those) and known values; the writer hides values.
func TestRedactorLoggerAndWriter(t *testing.T) {
	var lines []string
	base := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{Verbosity: 10})
	r := NewRedactor(obj(t, leakSecret))
	logger := r.Logger(base)
	logger.V(8).Info("Response Body", "body", `{"kind":"Secret","data":{"other":"dW5rbm93bg=="}}`)
	logger.V(8).Info("Response Body", "body", `{"kind":"ConfigMap","data":{"note":"token-1234"}}`)
	logger.Info("Warning: field echoes token-1234")
	want := []string{
		`"level"=8 "msg"="Response Body" "body"="<masked: may contain Secret values>"`,
		`"level"=8 "msg"="Response Body" "body"="{\"kind\":\"ConfigMap\",\"data\":{\"note\":\"***\"}}"`,
		`"level"=0 "msg"="Warning: field echoes ***"`,
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("log lines (-want +got):\n%s", d)
	}
	var b strings.Builder
	fmt.Fprintf(r.Writer(&b), "W1202 warning: %q\n", "p@ss\"word!")
	if got, want := b.String(), "W1202 warning: \"***\"\n"; got != want {
		t.Errorf("Writer wrote %q, want %q", got, want)
	}
}

// TestLearnManifest: a release record's manifest teaches Known its Secrets.
func TestLearnManifest(t *testing.T) {
	LearnManifest("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n" +
		"---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: cmVjb3JkLWNhbmFyeQ==}\n")
	if got, want := Known().String("record-canary cmVjb3JkLWNhbmFyeQ=="), "*** ***"; got != want {
		t.Errorf("Known().String() = %q, want %q", got, want)
	}
}
