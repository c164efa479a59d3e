package rollout

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// applyEnv is a fresh namespace of the shared cluster with admin clients
// that count the apply requests (PATCH) they send.
type applyEnv struct {
	clients *kube.Clients
	ns      string
	patches *atomic.Int64
}

func newApplyEnv(t *testing.T) applyEnv {
	t.Helper()
	c := localcluster.Shared(t)
	e := applyEnv{ns: c.Namespace(t, "apply"), patches: &atomic.Int64{}}
	cfg := c.RESTConfig()
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPatch {
				e.patches.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	clients, err := kube.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.clients = clients
	return e
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// objs decodes a manifest with NS standing for the namespace.
func (e applyEnv) objs(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	return objs(t, strings.ReplaceAll(manifest, "NS", e.ns))
}

// options are the apply options of a deploy of pipeline shop, environment test.
func (e applyEnv) options() ApplyOptions {
	o := DefaultApplyOptions()
	o.Labels = map[string]string{kube.LabelPipeline: "shop", kube.LabelEnvironment: "test"}
	return o
}

const applySet = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NS}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "registry.test/web:1", envFrom: [{configMapRef: {name: web}}, {secretRef: {name: web}}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: NS}
spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web, namespace: NS}
data: {greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: web, namespace: NS}
data: {token: dG9rZW4tMTIzNA==}
`

// Given a release applied once, when it is applied again unchanged, then
// no object is sent: the managed fields prove every apply a no-op. The
// objects come back in stage order, dependencies before workloads.
func TestClusterApplySkipsProvenNoOps(t *testing.T) {
	e := newApplyEnv(t)
	first, err := Apply(t.Context(), e.clients, e.objs(t, applySet), e.options())
	if err != nil {
		t.Fatal(err)
	}
	if got := e.patches.Load(); got != 4 {
		t.Errorf("first apply sent %d patches, want 4", got)
	}
	var kinds []string
	for _, u := range first {
		kinds = append(kinds, u.GetKind())
	}
	if got, want := strings.Join(kinds, ","), "Service,ConfigMap,Secret,Deployment"; got != want {
		t.Errorf("applied kinds = %s, want %s", got, want)
	}

	e.patches.Store(0)
	again, err := Apply(t.Context(), e.clients, e.objs(t, applySet), e.options())

	if err != nil {
		t.Fatal(err)
	}
	if got := e.patches.Load(); got != 0 {
		t.Errorf("unchanged apply sent %d patches, want 0", got)
	}
	if len(again) != 4 || again[3].GetUID() != first[3].GetUID() {
		t.Errorf("unchanged apply returned %d objects, the last %s, want 4, the last the live Deployment", len(again), kube.RefOf(again[len(again)-1]))
	}

	e.patches.Store(0)
	changed := strings.Replace(applySet, "greeting: hello", "greeting: bonjour", 1)
	if _, err := Apply(t.Context(), e.clients, e.objs(t, changed), e.options()); err != nil {
		t.Fatal(err)
	}
	if got := e.patches.Load(); got != 1 {
		t.Errorf("apply of one changed ConfigMap sent %d patches, want 1", got)
	}
}

// An apply that conflicts with another field manager names it and its
// fields, as the dry-run does.
func TestClusterApplyConflictNamesTheManager(t *testing.T) {
	e := newApplyEnv(t)
	cm := `{apiVersion: v1, kind: ConfigMap, metadata: {name: web, namespace: NS}, data: {greeting: %s}}`
	other := e.options()
	other.FieldManager = "helm"
	if _, err := ApplyOne(t.Context(), e.clients, e.objs(t, strings.Replace(cm, "%s", "hello", 1))[0], other); err != nil {
		t.Fatal(err)
	}

	_, err := Apply(t.Context(), e.clients, e.objs(t, strings.Replace(cm, "%s", "bonjour", 1)), e.options())

	var conflict *diff.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("Apply() error = %v, want a *diff.ConflictError", err)
	}
	want := `ConfigMap/` + e.ns + `/web: conflict: .data.greeting owned by field manager "helm"`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Apply() error =\n%v\nwant it to start with\n%s", err, want)
	}
	force := e.options()
	force.Force = true
	if _, err := Apply(t.Context(), e.clients, e.objs(t, strings.Replace(cm, "%s", "bonjour", 1)), force); err != nil {
		t.Errorf("forced Apply() = %v", err)
	}
}

// The Secret values of this test, and how a rejection of them is forced:
// label values are validated and echoed back by the apiserver.
const (
	canaryPlain = "Canary-Pw-4711"
	rejected    = `
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: NS
  labels: {plain: "PLAIN x", encoded: "B64 x"}
data: {password: B64}
`
)

var canaryB64 = base64.StdEncoding.EncodeToString([]byte(canaryPlain))

func secretLeaks(s string) []string {
	var out []string
	for _, v := range []string{canaryPlain, canaryB64} {
		if strings.Contains(s, v) {
			out = append(out, v)
		}
	}
	return out
}

// Given a Secret whose apply the apiserver rejects quoting its value
// (plain and base64), when it is applied, applied with force (as undo
// does), or applied beside another object whose rejection quotes the
// value, then the error names the object and the rejection, and neither
// the error nor, for the Secret's own requests, the -v=10 log holds the
// value in either form.
func TestClusterApplyErrorsNeverLeakSecrets(t *testing.T) {
	e := newApplyEnv(t)
	values := strings.NewReplacer("PLAIN", canaryPlain, "B64", canaryB64)
	secret := values.Replace(rejected)
	// The ConfigMap holds the value itself: its own request body is the
	// user's plain text, so only its error is checked.
	echo := values.Replace(`{apiVersion: v1, kind: ConfigMap, metadata: {name: echo, namespace: NS, labels: {plain: "PLAIN x"}}}`)
	valid := values.Replace(`{apiVersion: v1, kind: Secret, metadata: {name: ok, namespace: NS}, data: {password: B64}}`)
	force := e.options()
	force.Force = true
	tests := []struct {
		name     string
		run      func() error
		checkLog bool
	}{
		{"apply", func() error { _, err := Apply(t.Context(), e.clients, e.objs(t, secret), e.options()); return err }, true},
		{"undo (forced)", func() error { _, err := Apply(t.Context(), e.clients, e.objs(t, secret), force); return err }, true},
		{"one object", func() error {
			_, err := ApplyOne(t.Context(), e.clients, e.objs(t, secret)[0], e.options())
			return err
		}, true},
		{"another object echoing it", func() error {
			_, err := Apply(t.Context(), e.clients, e.objs(t, valid+"\n---\n"+echo), e.options())
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := testutil.CaptureKlog(t, 10)

			err := tt.run()

			if err == nil {
				t.Fatal("the apply of an invalid object succeeded")
			}
			if !strings.Contains(err.Error(), "/"+e.ns+"/") || !strings.Contains(err.Error(), "apply rejected") || !strings.Contains(err.Error(), "*** x") {
				t.Errorf("error does not name the object and show the masked rejection: %v", err)
			}
			if got := exitcode.Code(err); got != exitcode.Cluster {
				t.Errorf("exit code = %d, want %d", got, exitcode.Cluster)
			}
			if l := secretLeaks(err.Error()); l != nil {
				t.Errorf("error leaks %q: %v", l, err)
			}
			klog.Flush()
			if !tt.checkLog {
				return
			}
			for _, line := range strings.Split(log.String(), "\n") {
				if l := secretLeaks(line); l != nil {
					t.Errorf("the -v=10 log leaks %q: %s", l, line)
				}
			}
			if !strings.Contains(log.String(), `"Request Body"`) {
				t.Error("the -v=10 log shows no request body: the check above proves nothing")
			}
		})
	}
}

// Prune deletes what still carries the owner labels, leaves objects
// someone else took over and Namespaces, and ignores what is gone.
func TestClusterPrune(t *testing.T) {
	e := newApplyEnv(t)
	o := e.options()
	if _, err := Apply(t.Context(), e.clients, e.objs(t, applySet), o); err != nil {
		t.Fatal(err)
	}
	mine := Inventory(e.objs(t, applySet))
	other := DefaultApplyOptions()
	other.FieldManager = "someone"
	other.Labels = map[string]string{kube.LabelPipeline: "other"}
	taken := e.objs(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: taken, namespace: NS}}`)[0]
	if _, err := ApplyOne(t.Context(), e.clients, taken, other); err != nil {
		t.Fatal(err)
	}
	refs := append(mine, kube.RefOf(taken),
		kube.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: e.ns, Name: "gone"},
		kube.ObjectRef{Version: "v1", Kind: "Namespace", Name: e.ns},
		kube.ObjectRef{Group: "example.com", Version: "v1", Kind: "Widget", Namespace: e.ns, Name: "kind-gone"})

	deleted, err := Prune(t.Context(), e.clients, refs, o.Labels)

	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range deleted {
		got = append(got, r.String())
	}
	want := "Deployment/NS/web,Secret/NS/web,ConfigMap/NS/web,Service/NS/web"
	if strings.Join(got, ",") != strings.ReplaceAll(want, "NS", e.ns) {
		t.Errorf("deleted %s, want %s", strings.Join(got, ","), strings.ReplaceAll(want, "NS", e.ns))
	}
	if _, err := e.clients.Typed.CoreV1().ConfigMaps(e.ns).Get(t.Context(), "taken", metav1.GetOptions{}); err != nil {
		t.Errorf("the ConfigMap another pipeline owns: %v", err)
	}
}
