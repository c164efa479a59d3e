package localcluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// StopAPIServer kills the apiserver, as when its host dies, and returns
// once its process is gone: clients now get "connection refused". The rest
// of the cluster keeps running.
func (c *Cluster) StopAPIServer() error {
	return c.stopComponent(kubeAPIServer)
}

// StartAPIServer starts the apiserver again on the same port and returns
// once /readyz answers OK.
func (c *Cluster) StartAPIServer() error {
	ctx, cancel := context.WithTimeout(c.base, c.opts.StartTimeout)
	defer cancel()
	if p := c.process(kubeAPIServer); p != nil && p.running() {
		return fmt.Errorf("cluster %s: kube-apiserver is already running (pid %d)", c.Name, p.pid)
	}
	if err := c.startAPIServer(ctx); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return nil
}

// RestartKwok kills and restarts the kwok controller, which plays kubelet
// for every node, and returns once it serves /healthz again (its
// controllers have started by then). Pods change state meanwhile only
// when the new kwok takes over.
func (c *Cluster) RestartKwok() error {
	if err := c.stopComponent(kwok); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.base, c.opts.StartTimeout)
	defer cancel()
	// Each kwok process has a random identity and leaves behind node
	// leases that would lock the new one out of every node until they
	// expire (40s). Nothing else holds them, so they can go.
	if err := c.deleteNodeLeases(ctx); err != nil {
		return fmt.Errorf("cluster %s: restart kwok: %w", c.Name, err)
	}
	if err := c.startComponent(kwok); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	if err := c.waitFor(ctx, "kwok to serve /healthz", c.kwokHealthy, kwok); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return nil
}

func (c *Cluster) stopComponent(name string) error {
	ctx, cancel := context.WithTimeout(c.base, 15*time.Second)
	defer cancel()
	p := c.process(name)
	if p == nil {
		p = findProcess(c.Dir, name)
	}
	if p == nil {
		return fmt.Errorf("cluster %s: %s is not running", c.Name, name)
	}
	if err := p.stop(ctx); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return nil
}

func (c *Cluster) deleteNodeLeases(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	err = client.CoordinationV1().Leases(corev1.NamespaceNodeLease).DeleteCollection(ctx,
		metav1.DeleteOptions{}, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("delete node leases: %w", err)
	}
	return nil
}
