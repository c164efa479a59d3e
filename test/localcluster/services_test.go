package localcluster_test

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// TestManyClusterIPServices: a release of 1,000 objects may hold hundreds of
// ClusterIP Services, more than a /24 service range (254 addresses) can
// allocate. Each of 300 gets an address of its own.
func TestManyClusterIPServices(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "services")
	const n = 300
	ips, errs := make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			ips[i], errs[i] = createService(t, client, ns, fmt.Sprintf("svc-%d", i))
		})
	}
	wg.Wait()
	seen := map[netip.Addr]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		addr, err := netip.ParseAddr(ips[i])
		if err != nil || seen[addr] {
			t.Fatalf("Service/%s/svc-%d: cluster IP %q is not an address of its own", ns, i, ips[i])
		}
		seen[addr] = true
	}
}

// createService creates a ClusterIP Service and returns its cluster IP.
func createService(t *testing.T, client kubernetes.Interface, ns, name string) (string, error) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Port: 80}},
		},
	}
	got, err := client.CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("Service/%s/%s: %w", ns, name, err)
	}
	return got.Spec.ClusterIP, nil
}
