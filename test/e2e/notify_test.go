package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// hookReceiver is a webhook on loopback: it answers the first request to
// /hooks/ with 503 (the sender must retry) and keeps every request.
type hookReceiver struct {
	mu       sync.Mutex
	requests []hookRequest
}

type hookRequest struct {
	path, auth, contentType, body string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = append(h.requests, hookRequest{path: r.URL.Path, auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type"), body: string(b)})
	if len(h.requests) == 1 {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}

func (h *hookReceiver) got(prefix string) []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookRequest
	for _, r := range h.requests {
		if strings.HasPrefix(r.path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// cloudEvent is what the test reads of a delivered CloudEvent.
type cloudEvent struct {
	Type string `json:"type"`
	Data struct {
		Kind        string             `json:"kind"`
		Environment string             `json:"environment"`
		Revision    int                `json:"revision"`
		Outcome     string             `json:"outcome"`
		Reason      string             `json:"reason"`
		Artifacts   []release.Artifact `json:"artifacts"`
		By          string             `json:"by"`
		User        string             `json:"user"`
	} `json:"data"`
}

// Given staging whose webhook URL and token are in a Secret of its
// namespace, a chat webhook from an environment variable and a webhook
// that is down, When a release is applied and then a promotion from dev
// fails and is undone, Then the webhook gets every event of both, in
// order, with the token; the one that is down costs a warning, not the
// release; and no Secret value appears in any payload, output or record.
//
// The promotion fails because of staging's own overlay (its pods are
// labelled to crash 3s after they start, after the canary's pause), which
// keeps the test short: a bad image from dev would have to stay healthy
// through dev's gate first.
func TestNotifyFailingPromotion(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	dev, staging := c.Namespace(t, "notify-dev"), c.Namespace(t, "notify-staging")
	rcv := &hookReceiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	const pathToken, token, chatToken = "p4th-t0ken-81f2c9", "b3arer-t0ken-5d7e0a", "ch4t-t0ken-9a61"
	hookURL := srv.URL + "/hooks/" + pathToken
	chatURL := srv.URL + "/chat/" + chatToken
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL + "/down/" + pathToken
	down.Close() // nothing listens there any more
	_, err = client.CoreV1().Secrets(staging).Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "hook"},
		Data:       map[string][]byte{"url": []byte(hookURL), "token": []byte(token)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	testutil.WriteFiles(t, dir, notifyFiles(dev, staging, ""))

	run := func(args ...string) result {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), binary, append(args, "--kubeconfig", c.Kubeconfig, "--lock-lease", "3s")...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "USER=alice", "CHAT_URL="+chatURL, "DOWN_URL="+downURL, "HELM_KUBECONTEXT=", "HELM_NAMESPACE=")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		_ = cmd.Run()
		return result{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
	}
	var outputs []string
	r := run("apply", "staging")
	mustExit(t, r, 0) // whatever the webhook that is down says
	outputs = append(outputs, r.stdout, r.stderr)
	wantWarning := `warning: notify webhook "down": succeeded of revision 1 not delivered: dial: `
	if !strings.Contains(r.stderr, wantWarning) || strings.Count(r.stderr, "warning: notify") != 1 {
		t.Errorf("stderr of apply staging: want one warning %q:\n%s", wantWarning, r.stderr)
	}
	r = run("apply", "dev")
	mustExit(t, r, 0)
	outputs = append(outputs, r.stdout, r.stderr)
	testutil.WriteFiles(t, dir, notifyFiles(dev, staging, "late-crash"))
	r = run("staging", "-o", "jsonl")
	mustExit(t, r, 4)
	outputs = append(outputs, r.stdout, r.stderr)
	if strings.Contains(r.stderr, "warning: notify") {
		t.Errorf("the promotion's notifications were not all delivered:\n%s", r.stderr)
	}

	hooks := rcv.got("/hooks/")
	var kinds []string
	for i, h := range hooks {
		if h.auth != "Bearer "+token || !strings.HasPrefix(h.contentType, "application/cloudevents+json") {
			t.Errorf("request %d: Authorization %q, Content-Type %q", i, h.auth, h.contentType)
		}
		var ce cloudEvent
		if err := json.Unmarshal([]byte(h.body), &ce); err != nil {
			t.Fatalf("request %d: %v\n%s", i, err, h.body)
		}
		kinds = append(kinds, fmt.Sprintf("%s r%d %s", ce.Data.Kind, ce.Data.Revision, ce.Type))
		if ce.Data.Environment != "staging" || ce.Data.By != "kubectl-promote" || ce.Data.User != "alice" {
			t.Errorf("request %d: %+v", i, ce.Data)
		}
		if ce.Data.Revision == 2 && (len(ce.Data.Artifacts) != 1 || !strings.Contains(ce.Data.Artifacts[0].Ref, ":1.1.0")) {
			t.Errorf("%s: artifacts %+v, want dev's image 1.1.0", ce.Data.Kind, ce.Data.Artifacts)
		}
		if ce.Data.Kind == "failed" && !strings.Contains(ce.Data.Reason, "CrashLoopBackOff") {
			t.Errorf("failed: reason %q", ce.Data.Reason)
		}
	}
	want := []string{
		"started r1 dev.kubectl-promote.release.started", // answered 503, then retried
		"started r1 dev.kubectl-promote.release.started",
		"succeeded r1 dev.kubectl-promote.release.succeeded",
		"started r2 dev.kubectl-promote.release.started",
		"paused r2 dev.kubectl-promote.release.paused",
		"failed r2 dev.kubectl-promote.release.failed",
		"rolled-back r2 dev.kubectl-promote.release.rolled-back",
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("webhook events (-want +got):\n%s", diff)
	}
	chat := rcv.got("/chat/")
	if len(chat) != 2 || !strings.Contains(chat[0].body, `"text":"e2e/staging revision 2 failed: `) ||
		!strings.Contains(chat[1].body, `"text":"e2e/staging revision 2 was rolled back: `) {
		t.Errorf("chat webhook (failed and rolled-back only, Slack JSON) got %d requests: %+v", len(chat), chat)
	}

	rec, err := release.NewStore(client, staging, "e2e", "staging").Get(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	recJSON, _ := json.Marshal(rec)
	var all strings.Builder
	for _, h := range rcv.got("/") {
		all.WriteString(h.body + "\n")
	}
	for _, o := range append(outputs, string(recJSON)) {
		all.WriteString(o + "\n")
	}
	if leaks := testutil.Leaks(all.String(), hookURL, chatURL, downURL, pathToken, token, chatToken); len(leaks) > 0 {
		t.Errorf("secret values leaked into payloads, output or the record: %q", leaks)
	}
}

// notifyFiles is the pipeline and app of TestNotifyFailingPromotion; fate
// labels staging's pods.
func notifyFiles(dev, staging, fate string) map[string]string {
	labels := "{app: web}"
	if fate != "" {
		labels = "{app: web, promote.test/fate: " + fate + "}"
	}
	return map[string]string{
		"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: e2e}
spec:
  notify:
    webhooks:
    - name: receiver
      format: cloudevents
      urlFrom: {secretRef: {name: hook, key: url}}
      tokenFrom: {secretRef: {name: hook, key: token}}
    retry: {attempts: 3, backoff: 200ms, maxBackoff: 1s}
    flushTimeout: 20s
  environments:
  - name: dev
    namespace: %s
    source: {kustomize: {path: dev}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s}
    notify:
      webhooks: [{name: receiver, disabled: true}]
  - name: staging
    from: dev
    namespace: %s
    source: {kustomize: {path: staging}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 15s, restartLimit: 2}
    strategy: {canary: {steps: [{weight: 50}, {pause: 1s}]}}
    notify:
      webhooks:
      - name: chat
        format: slack
        events: [failed, rolled-back]
        urlFrom: {env: CHAT_URL}
      - name: down
        format: slack
        events: [succeeded]
        urlFrom: {env: DOWN_URL}
`, dev, staging),
		"dev/kustomization.yaml":     kustomization + "resources: [deploy.yaml]\nimages: [{name: registry.example.com/shop/web, newTag: 1.1.0}]\n",
		"dev/deploy.yaml":            notifyDeployment("{app: web}"),
		"staging/kustomization.yaml": kustomization + "resources: [deploy.yaml]\n",
		"staging/deploy.yaml":        notifyDeployment(labels),
	}
}

func notifyDeployment(labels string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: %s
      annotations: {promote.test/crash-after: 3s}
    spec:
      containers: [{name: web, image: "registry.example.com/shop/web:1.0.0"}]
`, labels)
}
