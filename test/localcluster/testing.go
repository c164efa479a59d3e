package localcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Start starts a cluster for one test and stops it (removing its state)
// when the test ends. It builds the components binary first if needed —
// run `make cluster-build` beforehand, as a cold build outlasts go test's
// default timeout. It fails the test (never skips) if the cluster cannot
// start, and logs how long start-up took.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	c, err := Up(t.Context(), opts)
	if err != nil {
		t.Fatalf("localcluster: %v", err)
	}
	t.Logf("localcluster: %s up at %s: %d nodes Ready %s after launch (%s)",
		c.Name, c.Server, c.Nodes, c.BootTime.Round(time.Millisecond), c.BootSummary())
	t.Cleanup(func() {
		if t.Failed() {
			c.logTails(t)
		}
		if err := c.Stop(context.WithoutCancel(t.Context())); err != nil {
			t.Errorf("localcluster: stop %s: %v", c.Name, err)
		}
	})
	return c
}

// logTails logs the end of every component log, to explain a failed test.
func (c *Cluster) logTails(t testing.TB) {
	t.Helper()
	for _, name := range components {
		t.Logf("localcluster: %s: end of %s:\n%s", c.Name, name, c.logTail(name, 15))
	}
}

// UserKubeconfig writes a kubeconfig for a client-certificate user in
// groups into the test's temporary directory and returns its path. The
// user has no rights until RBAC grants some.
func (c *Cluster) UserKubeconfig(t testing.TB, user string, groups ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), user+".kubeconfig")
	if err := c.WriteUserKubeconfig(path, user, groups...); err != nil {
		t.Fatalf("localcluster: %v", err)
	}
	return path
}

// Namespace creates a namespace named prefix-<random> for one test, waits
// until pods can be created there (its default ServiceAccount exists) and
// deletes it when the test ends. Tests sharing a cluster stay apart this way.
func (c *Cluster) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatalf("localcluster: %v", err)
	}
	ctx := t.Context()
	ns, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("localcluster: create namespace: %v", err)
	}
	t.Cleanup(func() {
		_ = client.CoreV1().Namespaces().Delete(context.WithoutCancel(ctx), ns.Name, metav1.DeleteOptions{})
	})
	err = c.waitFor(ctx, "ServiceAccount "+ns.Name+"/default", func(ctx context.Context) (bool, error) {
		return defaultServiceAccount(ctx, client, ns.Name)
	}, kubeControllerManager)
	if err != nil {
		t.Fatalf("localcluster: %v", err)
	}
	return ns.Name
}

// shared is the one cluster of a test binary, see Shared.
var shared struct {
	once sync.Once
	mu   sync.Mutex
	c    *Cluster
	err  error
}

// Shared returns the test binary's shared cluster, starting it on first
// use, so a package can run many tests (each in its own Namespace) for the
// price of one start-up. Stop it with StopShared, most simply by letting
// Main run the tests:
//
//	func TestMain(m *testing.M) { localcluster.Main(m) }
//
// Without that, its processes still die with the test binary, but its
// state directory stays behind in $TMPDIR. Shared fails the test (never
// skips) if the cluster cannot start; later callers get the same failure.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "localcluster-shared-")
		if err != nil {
			shared.err = err
			return
		}
		c, err := Up(t.Context(), Options{Name: "shared-" + randomSuffix(), Dir: dir})
		shared.mu.Lock()
		shared.c, shared.err = c, err
		shared.mu.Unlock()
		if err == nil {
			t.Logf("localcluster: shared cluster %s up at %s: %d nodes Ready %s after launch (%s)",
				c.Name, c.Server, c.Nodes, c.BootTime.Round(time.Millisecond), c.BootSummary())
		}
	})
	if shared.err != nil {
		t.Fatalf("localcluster: shared cluster: %v", shared.err)
	}
	return shared.c
}

// StopShared stops the shared cluster, if one was started, and removes its
// state. Main calls it after the tests.
func StopShared(ctx context.Context) error {
	shared.mu.Lock()
	c := shared.c
	shared.c = nil
	shared.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Stop(ctx)
}

// Main runs the tests, stops the shared cluster and exits with the tests'
// status. Use it as the package's TestMain.
func Main(m *testing.M) {
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := StopShared(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "localcluster: stop shared cluster: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
