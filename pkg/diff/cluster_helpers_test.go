package diff

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// testOwner labels what the tests apply as the tool would.
var testOwner = Owner{Pipeline: "shop", Environment: "test"}

// clusterEnv is a fresh namespace of the shared cluster with admin clients
// that count the requests they send.
type clusterEnv struct {
	cluster *localcluster.Cluster
	clients *kube.Clients
	ns      string
	// requests counts resource requests, lists those that were
	// label-selected lists.
	requests, lists *atomic.Int64
}

func newClusterEnv(t *testing.T) clusterEnv {
	t.Helper()
	c := localcluster.Shared(t)
	e := clusterEnv{cluster: c, ns: c.Namespace(t, "diff"), requests: &atomic.Int64{}, lists: &atomic.Int64{}}
	cfg := c.RESTConfig()
	cfg.Wrap(countRequests(e.requests, e.lists))
	clients, err := kube.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.clients = clients
	return e
}

// countRequests counts every request on resources, not discovery, and
// among them the label-selected lists.
func countRequests(n, lists *atomic.Int64) func(http.RoundTripper) http.RoundTripper {
	return func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if isResourcePath(r.URL.Path) {
				n.Add(1)
			}
			if r.URL.Query().Has("labelSelector") {
				lists.Add(1)
			}
			return rt.RoundTrip(r)
		})
	}
}

// isResourcePath tells /api/v1/… and /apis/group/version/… requests from
// discovery (/api, /apis/group/version, /openapi, /version).
func isResourcePath(path string) bool {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch parts[0] {
	case "api":
		return len(parts) >= 3
	case "apis":
		return len(parts) >= 4
	}
	return false
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// options are the Diff options of the test's environment.
func (e clusterEnv) options() Options {
	o := DefaultOptions()
	o.Namespace, o.Owner = e.ns, testOwner
	return o
}

// objs parses YAML objects, replacing NS with the test's namespace.
func (e clusterEnv) objs(t *testing.T, docs ...string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, d := range docs {
		out = append(out, obj(t, strings.ReplaceAll(d, "NS", e.ns)))
	}
	return out
}

// apply writes objs for real with server-side apply as manager, labelled
// with the test owner like the tool's apply does.
func (e clusterEnv) apply(t *testing.T, manager string, objs ...*unstructured.Unstructured) {
	t.Helper()
	prepared, err := Prepare(objs, testOwner)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range prepared {
		e.applyRaw(t, manager, u)
	}
}

// applyRaw server-side applies u as it is.
func (e clusterEnv) applyRaw(t *testing.T, manager string, u *unstructured.Unstructured) {
	t.Helper()
	m, err := e.clients.Mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	force := true
	_, err = e.clients.Dynamic.Resource(m.Resource).Namespace(u.GetNamespace()).Patch(t.Context(), u.GetName(),
		types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: manager, Force: &force})
	if err != nil {
		t.Fatalf("apply %s: %v", kube.RefOf(u), err)
	}
}

// diff runs Diff and fails the test on error.
func (e clusterEnv) diff(t *testing.T, objs []*unstructured.Unstructured, opts Options) *ChangeSet {
	t.Helper()
	cs, err := Diff(t.Context(), e.clients, objs, opts)
	if err != nil {
		t.Fatalf("Diff() error: %v", err)
	}
	return cs
}

// actions maps each object to its action, with the namespace as NS.
func (e clusterEnv) actions(cs *ChangeSet) map[string]Action {
	out := map[string]Action{}
	for _, c := range cs.Changes {
		out[strings.ReplaceAll(c.Ref.String(), e.ns, "NS")] = c.Action
	}
	return out
}

// userClients returns clients acting as a client-certificate user.
func (e clusterEnv) userClients(t *testing.T, user string) *kube.Clients {
	t.Helper()
	cfg := loadKubeconfig(t, e.cluster.UserKubeconfig(t, user))
	c, err := kube.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadKubeconfig(t *testing.T, path string) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func mustClients(t *testing.T, cfg *rest.Config) *kube.Clients {
	t.Helper()
	c, err := kube.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitForRevision waits until the deployment controller has annotated
// Deployment name with its revision. The bound only keeps a broken
// cluster from hanging the test; nothing depends on how long it takes.
func (e clusterEnv) waitForRevision(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := e.clients.Typed.AppsV1().Deployments(e.ns).Get(t.Context(), name, metav1.GetOptions{})
		if err == nil && d.Annotations["deployment.kubernetes.io/revision"] != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Deployment/%s/%s never got its revision annotation (last error %v)", e.ns, name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
