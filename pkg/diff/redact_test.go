package diff

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
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
