package localcluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// pollInterval paces every readiness check; start-up is dominated by the
// apiserver, so polling faster buys nothing.
const pollInterval = 100 * time.Millisecond

// boot starts the components in order and waits until the cluster serves:
// apiserver ready, nodes Ready, default ServiceAccount present, kwok up.
func (c *Cluster) boot(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.StartTimeout)
	defer cancel()
	begin := time.Now()
	c.phases = nil
	if err := c.startComponent(etcd); err != nil {
		return err
	}
	if err := c.waitFor(ctx, "etcd to be healthy", c.etcdHealthy, etcd); err != nil {
		return err
	}
	c.phase("etcd", begin)
	if err := c.startAPIServer(ctx); err != nil {
		return err
	}
	c.phase("kube-apiserver", begin)
	for _, name := range []string{kubeControllerManager, kubeScheduler, kwok} {
		if err := c.startComponent(name); err != nil {
			return err
		}
	}
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if err := createNodes(ctx, client, c.Nodes); err != nil {
		return err
	}
	if err := c.waitFor(ctx, fmt.Sprintf("%d nodes to be Ready", c.Nodes), func(ctx context.Context) (bool, error) {
		return nodesReady(ctx, client, c.Nodes)
	}, components...); err != nil {
		return err
	}
	c.phase("nodes Ready", begin)
	if err := c.waitFor(ctx, "the default ServiceAccount", func(ctx context.Context) (bool, error) {
		return defaultServiceAccount(ctx, client, metav1.NamespaceDefault)
	}, components...); err != nil {
		return err
	}
	c.phase("default ServiceAccount", begin)
	if err := c.waitFor(ctx, "kwok to serve /healthz", c.kwokHealthy, kwok); err != nil {
		return err
	}
	c.BootTime = time.Since(begin)
	return nil
}

// phase records that a start-up step ended, for BootSummary.
func (c *Cluster) phase(name string, begin time.Time) {
	c.phases = append(c.phases, fmt.Sprintf("%s at %s", name, time.Since(begin).Round(10*time.Millisecond)))
}

// BootSummary says when each start-up step of the last Up ended, counted
// from launching etcd, to show where start-up time goes.
func (c *Cluster) BootSummary() string { return strings.Join(c.phases, ", ") }

// startComponent launches one component and records it.
func (c *Cluster) startComponent(name string) error {
	p, err := launch(c.Dir, c.bin, name, c.args(name), c.opts.Detach)
	if p != nil {
		c.mu.Lock()
		c.procs[name] = p
		c.mu.Unlock()
	}
	return err
}

func (c *Cluster) startAPIServer(ctx context.Context) error {
	if err := c.startComponent(kubeAPIServer); err != nil {
		return err
	}
	return c.waitFor(ctx, "kube-apiserver /readyz", c.apiserverReady, kubeAPIServer, etcd)
}

// waitFor polls cond until it holds. If one of the watched components
// exits meanwhile, or ctx ends, the error names what was awaited and quotes
// the end of the relevant log.
func (c *Cluster) waitFor(ctx context.Context, what string, cond func(context.Context) (bool, error), watch ...string) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var lastErr error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		lastErr = err
		for _, name := range watch {
			if p := c.process(name); p == nil || !p.running() {
				return fmt.Errorf("waiting for %s: %s exited; end of %s:\n%s",
					what, name, c.LogPath(name), c.logTail(name, 30))
			}
		}
		select {
		case <-ctx.Done():
			err := fmt.Errorf("waiting for %s: %w", what, ctx.Err())
			if lastErr != nil {
				err = fmt.Errorf("%w (last error: %v)", err, lastErr)
			}
			return fmt.Errorf("%w; logs in %s", err, filepath.Join(c.Dir, "logs"))
		case <-tick.C:
		}
	}
}

func (c *Cluster) process(name string) *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[name]
}

func (c *Cluster) etcdHealthy(ctx context.Context) (bool, error) {
	return httpOK(ctx, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/health", c.ports.EtcdClient))
}

func (c *Cluster) kwokHealthy(ctx context.Context) (bool, error) {
	return httpOK(ctx, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/healthz", c.ports.Kwok))
}

func (c *Cluster) apiserverReady(ctx context.Context) (bool, error) {
	tlsConfig, err := rest.TLSConfigFor(c.RESTConfig())
	if err != nil {
		return false, err
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig.Clone()}, Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	return httpOK(ctx, client, c.Server+"/readyz")
}

func httpOK(ctx context.Context, client *http.Client, url string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return true, nil
}

// createNodes registers n fake nodes that kwok manages (by annotation).
// They carry no taints: TaintNodesByCondition is disabled, and nodesReady
// removes a not-ready taint should one appear.
func createNodes(ctx context.Context, client kubernetes.Interface, n int) error {
	zones := []string{"zone-a", "zone-b", "zone-c"}
	for i := range n {
		name := fmt.Sprintf("kwok-node-%d", i)
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Annotations: map[string]string{
				kwokNodeAnnotation:             "fake",
				internalIPAnnotation:           fmt.Sprintf("10.1.%d.%d", i/250, i%250+1),
				"node.alpha.kubernetes.io/ttl": "0",
			},
			Labels: map[string]string{
				"kubernetes.io/hostname":        name,
				"kubernetes.io/os":              "linux",
				"kubernetes.io/arch":            "amd64",
				"node-role.kubernetes.io/agent": "",
				"topology.kubernetes.io/zone":   zones[i%len(zones)],
				"type":                          "kwok",
			},
		}}
		if _, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			//lint:ignore ST1005 errors start with the object's Kind/name, as everywhere in this project
			return fmt.Errorf("Node/%s: create: %w", name, err)
		}
	}
	return nil
}

// nodesReady reports whether n nodes are Ready and schedulable, taking off
// the not-ready taint where one is left (no node-lifecycle controller runs
// to do it).
func nodesReady(ctx context.Context, client kubernetes.Interface, n int) (bool, error) {
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, err
	}
	ready := 0
	var errs []error
	for i := range nodes.Items {
		node := &nodes.Items[i]
		if !isNodeReady(node) {
			continue
		}
		if hasNotReadyTaint(node) {
			errs = append(errs, untaint(ctx, client, node))
			continue
		}
		ready++
	}
	return ready >= n, errors.Join(errs...)
}

func isNodeReady(node *corev1.Node) bool {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

func hasNotReadyTaint(node *corev1.Node) bool {
	for _, t := range node.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady {
			return true
		}
	}
	return false
}

func untaint(ctx context.Context, client kubernetes.Interface, node *corev1.Node) error {
	kept := node.Spec.Taints[:0]
	for _, t := range node.Spec.Taints {
		if t.Key != corev1.TaintNodeNotReady {
			kept = append(kept, t)
		}
	}
	node.Spec.Taints = kept
	_, err := client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{})
	if err != nil {
		//lint:ignore ST1005 errors start with the object's Kind/name, as everywhere in this project
		return fmt.Errorf("Node/%s: remove not-ready taint: %w", node.Name, err)
	}
	return nil
}

// defaultServiceAccount reports whether namespace ns has its default
// ServiceAccount; until it does, the apiserver rejects pods there.
func defaultServiceAccount(ctx context.Context, client kubernetes.Interface, ns string) (bool, error) {
	_, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
