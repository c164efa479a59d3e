package release

import (
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// Tests named TestCluster… run on the shared local cluster, each in its own
// namespace; the others need none (make test-release-unit runs only those).
func TestMain(m *testing.M) { localcluster.Main(m) }

// onCluster returns an admin client of the shared cluster and a fresh
// namespace. It fails, never skips, when the cluster cannot start.
func onCluster(t *testing.T) (kubernetes.Interface, string) {
	t.Helper()
	c := localcluster.Shared(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return client, c.Namespace(t, "release")
}

// eventually polls cond until it holds. The bound only keeps a broken test
// from hanging; no test depends on how long anything takes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
