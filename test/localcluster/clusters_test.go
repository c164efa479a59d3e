package localcluster_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// TestClusters starts two clusters side by side (the shape of the
// multi-cluster promotion tests) and drives them through the fault hooks
// and Down. It runs before the parallel tests, so its start-up time is
// measured on an otherwise idle test binary.
func TestClusters(t *testing.T) {
	a := localcluster.Start(t, localcluster.Options{Name: "promote-a"})
	b := localcluster.Start(t, localcluster.Options{Name: "promote-b", Nodes: 1})
	ca, cb := clientset(t, a), clientset(t, b)

	t.Run("independent", func(t *testing.T) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "only-in-a"}}
		if _, err := ca.CoreV1().ConfigMaps("default").Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := cb.CoreV1().ConfigMaps("default").Get(t.Context(), "only-in-a", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("ConfigMap/default/only-in-a in cluster b: got err %v, want NotFound", err)
		}
		if got := countNodes(t, ca); got != 3 {
			t.Errorf("cluster a has %d nodes, want 3", got)
		}
		if got := countNodes(t, cb); got != 1 {
			t.Errorf("cluster b has %d nodes, want 1", got)
		}
	})

	t.Run("merged kubeconfig names both contexts", func(t *testing.T) {
		merged := filepath.Join(t.TempDir(), "config")
		if err := localcluster.MergeKubeconfig(merged, a.Kubeconfig, b.Kubeconfig); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*localcluster.Cluster{a, b} {
			out := kubectl(t, "--kubeconfig", merged, "--context", c.Context, "get", "nodes", "-o", "name")
			if got, want := strings.Count(out, "node/"), c.Nodes; got != want {
				t.Errorf("context %s: kubectl get nodes listed %d nodes, want %d:\n%s", c.Context, got, want, out)
			}
		}
	})

	t.Run("apiserver outage", func(t *testing.T) {
		if err := b.StopAPIServer(); err != nil {
			t.Fatal(err)
		}
		_, err := cb.CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{})
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("during the outage: got err %v, want connection refused", err)
		}
		if err := b.StartAPIServer(); err != nil {
			t.Fatal(err)
		}
		if _, err := cb.CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{}); err != nil {
			t.Fatalf("after the outage: %v", err)
		}
		pod := createPod(t, cb, "default", "after-outage", nil)
		waitPodReady(t, cb, pod)
	})

	t.Run("kwok restart", func(t *testing.T) {
		if err := a.RestartKwok(); err != nil {
			t.Fatal(err)
		}
		pod := createPod(t, ca, "default", "after-kwok-restart", nil)
		waitPodReady(t, ca, pod)
	})

	t.Run("down leaves no process and no port", func(t *testing.T) {
		pids, ports := b.PIDs(), b.Ports()
		if len(pids) != 5 {
			t.Fatalf("cluster b runs %d processes, want 5: %v", len(pids), pids)
		}
		if err := localcluster.Down(t.Context(), b.Dir); err != nil {
			t.Fatal(err)
		}
		// A killed child of this test binary stays a zombie until its
		// reaper goroutine runs, and a closing socket may linger a moment.
		for name, pid := range pids {
			eventuallyWithin(t, 2*time.Second, fmt.Sprintf("%s (pid %d) to be gone", name, pid), func() (bool, string) {
				err := syscall.Kill(pid, 0)
				stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
				return errors.Is(err, syscall.ESRCH), fmt.Sprintf("kill 0: %v, stat: %.60s", err, stat)
			})
		}
		for _, port := range ports {
			eventuallyWithin(t, 2*time.Second, fmt.Sprintf("port %d to be closed", port), func() (bool, string) {
				conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err == nil {
					conn.Close()
				}
				return err != nil, fmt.Sprintf("dial: %v", err)
			})
		}
		if _, err := os.Stat(b.Dir); !os.IsNotExist(err) {
			t.Errorf("state dir %s still exists after Down (stat: %v)", b.Dir, err)
		}
	})
}

func clientset(t *testing.T, c *localcluster.Cluster) kubernetes.Interface {
	t.Helper()
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func countNodes(t *testing.T, client kubernetes.Interface) int {
	t.Helper()
	nodes, err := client.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(nodes.Items)
}

// kubectl runs the preinstalled kubectl, failing the test on error.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := execKubectl(t.Context(), args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func execKubectl(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "kubectl", args...).CombinedOutput()
	return string(out), err
}

func createPod(t *testing.T, client kubernetes.Interface, ns, name string, labels map[string]string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.local/app:1"}}},
	}
	created, err := client.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func waitPodReady(t *testing.T, client kubernetes.Interface, pod *corev1.Pod) {
	t.Helper()
	eventually(t, fmt.Sprintf("Pod/%s/%s to be Ready", pod.Namespace, pod.Name), func(ctx context.Context) (bool, string, error) {
		got, err := client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return podReady(got), string(got.Status.Phase), nil
	})
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// eventuallyWithin polls cond for up to d, then fails the test (not fatally).
func eventuallyWithin(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("after %s still waiting for %s: %s", d, what, state)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
