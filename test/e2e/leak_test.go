package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// The canaries: Secret values that must never be printed. Each is checked
// plain and in base64.
const (
	canaryFirst     = "leak-canary-first-9d2b7"     // app-secret's password, release 1
	canarySecond    = "leak-canary-second-41c8e"    // app-secret's password, release 2
	canaryHeader    = "leak-canary-header-7a0f3"    // probe-token, sent by the web check
	canaryStringDat = "leak-canary-stringdata-5e61" // stringData written as a string
	canaryData      = "leak-canary-data-b83c2"      // data written as a string
	canaryList      = "leak-canary-list-0c9d4"      // data written as a list
	canaryDenied    = "leak-canary-denied-6b1fa"    // refused by an admission policy that quotes it
)

// leakEnv is a dev → staging pipeline on the shared cluster, staging with
// a web check against an endpoint that echoes the header it is sent.
type leakEnv struct {
	t          *testing.T
	dir        string
	kubeconfig string
	ns         map[string]string
	client     kubernetes.Interface
	summary    string // $GITHUB_STEP_SUMMARY
	canaries   []string
	runs       int
}

func newLeakEnv(t *testing.T) *leakEnv {
	t.Helper()
	c := localcluster.Shared(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "you sent "+r.Header.Get("X-Probe-Token"))
	}))
	t.Cleanup(echo.Close)
	e := &leakEnv{t: t, dir: t.TempDir(), kubeconfig: c.Kubeconfig, client: client,
		ns: map[string]string{"dev": c.Namespace(t, "leak-dev"), "staging": c.Namespace(t, "leak-staging")}}
	e.summary = filepath.Join(e.dir, "step-summary.md")
	for _, v := range []string{canaryFirst, canarySecond, canaryHeader, canaryStringDat, canaryData, canaryList, canaryDenied, "Bearer " + canaryHeader} {
		e.canaries = append(e.canaries, v, base64.StdEncoding.EncodeToString([]byte(v)))
	}
	testutil.WriteFiles(t, e.dir, map[string]string{"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: leak}
spec:
  environments:
  - name: dev
    namespace: %s
    source: {kustomize: {path: app}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s, restartLimit: 2}
  - name: staging
    from: dev
    namespace: %s
    source: {kustomize: {path: app}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s, restartLimit: 2}
    strategy:
      analysis:
        checks:
        - name: echo
          successCondition: 'result == "ok"'
          provider:
            web:
              url: %q
              headers: [{name: X-Probe-Token, valueFrom: {secretKeyRef: {name: probe-token, key: token}}}]
`, e.ns["dev"], e.ns["staging"], echo.URL)})
	return e
}

// echoingPolicy installs a ValidatingAdmissionPolicy that warns or
// denies (action), on the writes of a Secret named app-secret in the dev
// namespace for which expression is false, with a message quoting its
// password: the apiserver then sends the value back in a Warning header
// or an error, as a webhook might.
func (e *leakEnv) echoingPolicy(suffix, expression string, action admissionv1.ValidationAction) {
	e.t.Helper()
	ctx, name := e.t.Context(), e.ns["dev"]+"-"+suffix
	warn := []admissionv1.ValidationAction{action}
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"secrets"}},
				}}}},
			Validations: []admissionv1.Validation{{
				Expression:        expression + ` || object.metadata.name != "app-secret" || !has(object.data) || !("password" in object.data)`,
				MessageExpression: `"password is " + string(object.data.password)`,
			}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: name, ValidationActions: warn,
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": e.ns["dev"]}}}},
	}
	api := e.client.AdmissionregistrationV1()
	if _, err := api.ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		_ = api.ValidatingAdmissionPolicyBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		_ = api.ValidatingAdmissionPolicies().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
}

// write puts the application on disk with app-secret written as secret
// says (a YAML fragment: its data or stringData).
func (e *leakEnv) write(tag, secret string) {
	e.t.Helper()
	os.RemoveAll(filepath.Join(e.dir, "app"))
	testutil.WriteFiles(e.t, e.dir, map[string]string{
		"app/kustomization.yaml": kustomization + "resources: [deploy.yaml, secrets.yaml]\n",
		"app/deploy.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example.com/shop/web:%s
        env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: app-secret, key: password, optional: true}}}]
`, tag),
		"app/secrets.yaml": fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: app-secret}
%s
---
apiVersion: v1
kind: Secret
metadata: {name: probe-token}
stringData: {token: "Bearer %s"}
`, secret, canaryHeader),
	})
}

// run runs the binary; with github set, as a GitHub Actions step. It fails
// the test when any output shows a canary, and returns the result.
func (e *leakEnv) run(github bool, args ...string) result {
	e.t.Helper()
	e.runs++
	args = append(args, "--kubeconfig", e.kubeconfig)
	cmd := exec.CommandContext(e.t.Context(), binary, args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "HELM_KUBECONTEXT=", "HELM_NAMESPACE=", "GITHUB_ACTIONS=", "GITHUB_STEP_SUMMARY=")
	if github {
		cmd.Env = append(cmd.Env, "GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY="+e.summary)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		e.t.Fatalf("run %v: %v", args, err)
	}
	r := result{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
	e.noCanary(fmt.Sprintf("%v stdout", args), r.stdout)
	e.noCanary(fmt.Sprintf("%v stderr", args), r.stderr)
	return r
}

// noCanary fails the test when text shows a canary, plain or base64.
func (e *leakEnv) noCanary(where, text string) {
	e.t.Helper()
	for _, c := range e.canaries {
		if i := strings.Index(text, c); i >= 0 {
			e.t.Errorf("%s shows a Secret value (%q) at byte %d: …%s…", where, c, i, text[max(0, i-300):min(len(text), i+len(c)+100)])
		}
	}
}

// mustRun runs and checks the exit code.
func (e *leakEnv) mustRun(code int, github bool, args ...string) result {
	e.t.Helper()
	r := e.run(github, args...)
	if r.code != code {
		e.t.Fatalf("%v: exit code %d, want %d\nstdout (last 2000 bytes):\n%s\nstderr (last 4000 bytes):\n%s", args, r.code, code,
			tail(r.stdout, 2000), tail(r.stderr, 4000))
	}
	return r
}

// eventuallyWarned runs args until the policy's warning shows (masked):
// a new admission policy takes a moment to be enforced.
func (e *leakEnv) eventuallyWarned(args ...string) {
	e.t.Helper()
	for i := 0; i < 30; i++ {
		if strings.Contains(e.run(false, args...).stderr, "password is ***") {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	e.t.Fatalf("%v never showed the admission policy's warning", args)
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// records checks every release record of env: reasons, failures, gates
// and analysis results (all but the manifest, which is a Secret's data
// on purpose) show no canary.
func (e *leakEnv) records(env string) []*release.Record {
	e.t.Helper()
	recs, err := release.NewStore(e.client, e.ns[env], "leak", env).List(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range recs {
		c := *r
		c.Manifest = ""
		b, err := json.Marshal(c)
		if err != nil {
			e.t.Fatal(err)
		}
		e.noCanary(fmt.Sprintf("record %s revision %d", env, r.Revision), string(b))
	}
	return recs
}

// Given a pipeline whose Secrets and web check carry canary values, When
// every command but render (which prints what was rendered, as kubectl
// kustomize does) runs in every output mode at -v=10 — with well-formed
// Secrets that change, a web check against an endpoint echoing its Secret
// header, and malformed Secrets (stringData or data not a map) — Then no
// canary, plain or base64, shows in stdout, stderr, the GitHub step
// summary, or the records' reasons and results.
func TestLeakNoSecretValueInAnyOutput(t *testing.T) {
	t.Parallel()
	e := newLeakEnv(t)
	e.echoingPolicy("warn", "false", admissionv1.Warn)
	v10 := "-v=10"

	// Well-formed, first release: diff in every format, then apply.
	e.write("1.0", "stringData: {password: "+canaryFirst+"}")
	for _, out := range []string{"text", "json"} {
		e.mustRun(1, false, "diff", "dev", "-o", out)
		e.mustRun(1, true, "diff", "dev", "-o", out, v10)
	}
	// The policy takes effect within a second or so; the first apply
	// must have seen its warning (dry-run and apply both get it).
	e.eventuallyWarned("diff", "dev", v10)
	a := e.mustRun(0, true, "apply", "dev", v10)
	if !strings.Contains(a.stderr, "password is ***") {
		t.Errorf("apply does not show the apiserver's warning, masked:\n%s", tail(a.stderr, 3000))
	}

	// The Secret changes: diff shows the change masked; apply in jsonl.
	e.write("2.0", "stringData: {password: "+canarySecond+"}")
	d := e.mustRun(1, false, "diff", "dev", v10)
	if !strings.Contains(d.stdout, "Secret/"+e.ns["dev"]+"/app-secret configured") || !strings.Contains(d.stdout, "*** (changed)") {
		t.Errorf("diff does not show the masked change:\n%s", d.stdout)
	}
	e.mustRun(0, false, "apply", "dev", "-o", "jsonl", v10)
	e.mustRun(0, true, "apply", "dev", "--dry-run", v10)

	// Read-only commands, every output.
	for _, out := range []string{"text", "json"} {
		e.mustRun(0, false, "status", "dev", "-o", out, v10)
		e.mustRun(0, false, "history", "dev", "-o", out, v10)
	}
	e.mustRun(0, false, "envs", v10)
	// Nothing paused, nobody holding the lock: whatever they answer, it
	// must not show a value.
	for _, cmd := range []string{"resume", "abort", "unlock"} {
		e.run(true, cmd, "dev", v10)
	}
	e.mustRun(1, false, "diff", "staging", "--from", "dev", v10)

	// Promotion into staging: the web check is sent the header from
	// probe-token, its endpoint echoes it, the check fails on the echoed
	// value and the release is undone.
	p := e.mustRun(4, true, "staging", "-o", "jsonl", v10)
	if !strings.Contains(p.stdout+p.stderr, "you sent ***") {
		t.Errorf("the echoed header is not in the output masked (did the check run?):\n%s", tail(p.stdout+p.stderr, 3000))
	}
	e.mustRun(0, true, "status", "staging", v10)
	e.mustRun(0, false, "history", "staging", "-o", "json")

	// Undo dev to release 1, whose Secret value the record holds.
	e.mustRun(0, true, "undo", "dev", v10)
	e.mustRun(0, false, "undo", "dev", "-o", "jsonl", v10)

	// Malformed Secrets: refused as bad input everywhere, value not shown.
	for _, secret := range []string{"stringData: " + canaryStringDat, "data: " + canaryData, "data: [" + canaryList + "]"} {
		e.write("3.0", secret)
		for _, out := range []string{"text", "json"} {
			r := e.mustRun(2, true, "diff", "dev", "-o", out, v10)
			if !strings.Contains(r.stderr, "(value not shown)") {
				t.Errorf("diff of %q: the error does not say why:\n%s", secret, tail(r.stderr, 2000))
			}
		}
		e.mustRun(2, false, "apply", "dev", v10)
		e.mustRun(2, true, "apply", "dev", "-o", "jsonl", v10)
		e.mustRun(2, true, "staging", v10)
	}

	// An apply error that quotes the value: the policy now denies real
	// writes (not dry-runs) of app-secret, so the dry-run passes and the
	// apply, then its undo, fail with the value in the apiserver's error.
	e.echoingPolicy("deny", "request.dryRun == true", admissionv1.Deny)
	e.write("4.0", "stringData: {password: "+canaryDenied+"}")
	time.Sleep(2 * time.Second) // let the policy take effect
	for _, github := range []bool{true, false} {
		r := e.run(github, "apply", "dev", "-o", "jsonl", v10)
		if r.code != 4 && r.code != 5 || !strings.Contains(r.stdout, "password is ***") {
			t.Errorf("apply denied by the policy: exit %d, want 4 or 5 and the denial, masked, in the jsonl result\n%s",
				r.code, tail(r.stdout+r.stderr, 3000))
		}
	}

	// What the runs left behind.
	summary := readFile(t, e.summary)
	e.noCanary("step summary", summary)
	if !strings.Contains(summary, "staging") {
		t.Errorf("the step summary was not written:\n%s", summary)
	}
	if recs := e.records("staging"); len(recs) == 0 || !strings.Contains(recs[0].Reason, "***") {
		t.Errorf("staging's failed release does not record the masked value: %+v", recs)
	}
	if recs := e.records("dev"); len(recs) == 0 || !strings.Contains(recs[0].Reason, "password is ***") {
		t.Errorf("dev's denied release does not record the masked denial: %d records", len(recs))
	}
	t.Logf("%d runs checked", e.runs)
}
