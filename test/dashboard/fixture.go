// Package dashboardtest sets up what the dashboard's tests look at: a
// two-environment pipeline (dev → staging, staging a canary that pauses
// twice and needs approval) on the shared local cluster, each environment
// in a namespace of its own, and a dashboard server on loopback. The JSON
// API tests (pkg/dashboard) and the browser test (this package) share it.
package dashboardtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/dashboard"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// PipelineName is the fixture pipeline's metadata.name.
const PipelineName = "dash"

// SecretValue is the value of the Secret every release carries; no page,
// API response or event may contain it, plain or base64.
const SecretValue = "s3cr3t-dashboard-value"

// Fixture is one test's pipeline, clients and dashboard.
type Fixture struct {
	T        *testing.T
	Dir      string
	Pipeline *pipeline.Pipeline
	Clients  *kube.Clients
	// Namespaces maps an environment to its namespace.
	Namespaces map[string]string
	Server     *dashboard.Server
	// URL is the dashboard's base URL, "http://127.0.0.1:PORT".
	URL string
}

// Options tune New.
type Options struct {
	// ReadOnly starts the dashboard with --read-only.
	ReadOnly bool
	// AnalysisURL, when set, gives dev a web analysis reading $.latency
	// from it three times a second apart (result < 0.5 passes).
	AnalysisURL string
}

// New writes the pipeline, creates its namespaces and starts a dashboard
// on it that stops with the test.
func New(t *testing.T, o Options) *Fixture {
	t.Helper()
	c := localcluster.Shared(t)
	clients, err := kube.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	f := &Fixture{T: t, Dir: t.TempDir(), Clients: clients, Namespaces: map[string]string{
		"dev": c.Namespace(t, "dash-dev"), "staging": c.Namespace(t, "dash-staging"),
	}}
	devStrategy := "{}"
	if o.AnalysisURL != "" {
		devStrategy = fmt.Sprintf(`{analysis: {checks: [{name: latency, provider: {web: {url: %q, jsonPath: $.latency}}, successCondition: 'result < 0.5', count: 3, interval: 1s}]}}`, o.AnalysisURL)
	}
	f.write("promote.yaml", fmt.Sprintf(pipelineYAML, PipelineName, f.Namespaces["dev"], devStrategy, f.Namespaces["staging"]))
	f.WriteApp("dev", "1.0")
	f.WriteApp("staging", "1.0")
	p, err := pipeline.Load(filepath.Join(f.Dir, "promote.yaml"))
	if err == nil {
		err = p.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Pipeline = p
	f.start(o)
	return f
}

const pipelineYAML = `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: %s}
spec:
  defaults:
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s}
  environments:
  - name: dev
    namespace: %s
    source: {kustomize: {path: dev}}
    strategy: %s
  - name: staging
    from: dev
    namespace: %s
    source: {kustomize: {path: staging}}
    strategy:
      canary: {steps: [{weight: 25}, {pause: {}}, {weight: 50}, {pause: {}}]}
    gates: {approval: required}
`

// WriteApp writes env's application, Deployment web (4 replicas), Service
// web and Secret web-credentials, with image tag tag.
func (f *Fixture) WriteApp(env, tag string) {
	f.T.Helper()
	f.write(env+"/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [app.yaml]\n")
	f.write(env+"/app.yaml", fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "registry.example.com/shop/web:%s"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Secret
metadata: {name: web-credentials}
data: {password: %s}
`, tag, base64.StdEncoding.EncodeToString([]byte(SecretValue))))
}

func (f *Fixture) write(name, content string) {
	f.T.Helper()
	path := filepath.Join(f.Dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.T.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		f.T.Fatal(err)
	}
}

func (f *Fixture) start(o Options) {
	f.T.Helper()
	envs := make([]dashboard.Environment, 0, 2)
	for i := range f.Pipeline.Spec.Environments {
		env := &f.Pipeline.Spec.Environments[i]
		envs = append(envs, dashboard.Environment{Env: env, Context: "local", Namespace: env.Namespace, Clients: f.Clients})
	}
	srv, err := dashboard.New(dashboard.Options{
		Pipeline: f.Pipeline, Environments: envs, ReadOnly: o.ReadOnly,
		Holder: release.Holder{User: "dashboard-test", Command: "dashboard test"}, Approver: "tester",
		LeaseDuration: 3 * time.Second, ControlWait: 30 * time.Second, Debounce: 50 * time.Millisecond,
		Log: testLog{f.T},
	})
	if err != nil {
		f.T.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.T.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(f.T.Context()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	f.T.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.T.Errorf("dashboard: %v", err)
		}
	})
	f.Server, f.URL = srv, "http://"+ln.Addr().String()
}

// testLog sends the dashboard's log to the test's.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// Env returns the pipeline's environment name.
func (f *Fixture) Env(name string) *pipeline.Environment {
	f.T.Helper()
	env, err := f.Pipeline.Env(name)
	if err != nil {
		f.T.Fatal(err)
	}
	return env
}

// Store returns the release store of env.
func (f *Fixture) Store(env string) *release.Store {
	return release.NewStore(f.Clients.Typed, f.Namespaces[env], PipelineName, env)
}

// Deploy renders env's own source and deploys it as `apply ENV` does.
func (f *Fixture) Deploy(ctx context.Context, env string) (*promote.Result, error) {
	e := f.Env(env)
	r, err := render.For(f.Pipeline, e)
	if err != nil {
		return nil, err
	}
	res, err := r.Render(ctx, render.Options{})
	if err != nil {
		return nil, err
	}
	return promote.Deploy(ctx, promote.Request{
		Pipeline: PipelineName, Env: e, Namespace: e.Namespace, Clients: f.Clients,
		Objects: res.Objects, Artifacts: promote.Artifacts(res),
		Health: f.Pipeline.Health(e), History: f.Pipeline.History(e),
		Holder: release.Holder{User: "driver", Command: "dashboard test driver"},
		Lock:   release.LockOptions{LeaseDuration: 3 * time.Second},
	})
}

// MustDeploy deploys env and fails the test unless it succeeded.
func (f *Fixture) MustDeploy(env string) *promote.Result {
	f.T.Helper()
	res, err := f.Deploy(f.T.Context(), env)
	if err != nil {
		f.T.Fatalf("deploy %s: %v", env, err)
	}
	return res
}

// DeployInBackground starts a deploy of env that the test does not wait
// for (a canary that pauses); the channel gets its outcome.
func (f *Fixture) DeployInBackground(env string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := f.Deploy(f.T.Context(), env)
		done <- err
	}()
	return done
}

// WaitState waits until env's rollout state satisfies ok.
func (f *Fixture) WaitState(env string, what string, ok func(*release.State) bool) *release.State {
	f.T.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		st, _, err := f.Store(env).State(f.T.Context())
		if err == nil && ok(st) {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	f.T.Fatalf("%s: rollout state never became %s", env, what)
	return nil
}

// PausedAt says the state is a canary paused at weight w.
func PausedAt(w int) func(*release.State) bool {
	return func(st *release.State) bool {
		return st != nil && st.Paused && st.Weights["canary"] == w
	}
}

// Get reads path from the dashboard as JSON into v and returns the status.
func (f *Fixture) Get(path string, v any) int {
	f.T.Helper()
	resp, err := http.Get(f.URL + path)
	if err != nil {
		f.T.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			f.T.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

// Post sends body as JSON to path with headers and returns the status and
// the response body.
func (f *Fixture) Post(path string, body any, headers map[string]string) (int, []byte) {
	f.T.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		f.T.Fatal(err)
	}
	req, err := http.NewRequestWithContext(f.T.Context(), http.MethodPost, f.URL+path, bytes.NewReader(b))
	if err != nil {
		f.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.T.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// Act posts an action with the session token and waits for it to end.
func (f *Fixture) Act(env string, req dashboard.ActionRequest) *dashboard.ActionView {
	f.T.Helper()
	code, body := f.Post("/api/environments/"+env+"/actions", req, map[string]string{dashboard.TokenHeader: f.Server.Token()})
	if code != http.StatusAccepted {
		f.T.Fatalf("POST %s %s: %d %s", req.Action, env, code, body)
	}
	var v dashboard.ActionView
	if err := json.Unmarshal(body, &v); err != nil {
		f.T.Fatal(err)
	}
	return f.WaitAction(v.ID)
}

// WaitAction waits until action id has ended.
func (f *Fixture) WaitAction(id int) *dashboard.ActionView {
	f.T.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		var v dashboard.ActionView
		if code := f.Get(fmt.Sprintf("/api/actions/%d", id), &v); code != http.StatusOK {
			f.T.Fatalf("GET action %d: %d", id, code)
		}
		if v.State != dashboard.StateRunning {
			return &v
		}
		time.Sleep(100 * time.Millisecond)
	}
	f.T.Fatalf("action %d did not end", id)
	return nil
}

// WaitView waits until GET /api/environments/env satisfies ok.
func (f *Fixture) WaitView(env, what string, ok func(*dashboard.EnvView) bool) *dashboard.EnvView {
	f.T.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var v dashboard.EnvView
	for time.Now().Before(deadline) {
		v = dashboard.EnvView{}
		if f.Get("/api/environments/"+env, &v) == http.StatusOK && ok(&v) {
			return &v
		}
		time.Sleep(100 * time.Millisecond)
	}
	f.T.Fatalf("%s: the dashboard never showed %s; last view: %+v", env, what, v)
	return nil
}
