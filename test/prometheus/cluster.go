package prometheus

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ServicePort is the port of the Service Expose creates.
const ServicePort = 9090

// HostIP returns this machine's first non-loopback IPv4 address: the
// apiserver's service proxy will not dial a loopback address, so a
// Prometheus meant to be reached through it listens there (StartOn).
func HostIP() (string, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			return n.IP.String(), nil
		}
	}
	return "", fmt.Errorf("no non-loopback IPv4 address on this machine: the apiserver's service proxy cannot reach a loopback Prometheus")
}

// StartExposed starts Prometheus scraping targets on this machine's
// non-loopback address (HostIP) and exposes it as Service namespace/name
// of the cluster kube reaches (Expose): the way tests query it through the
// apiserver's service proxy.
func StartExposed(t testing.TB, kube kubernetes.Interface, namespace, name string, targets ...string) *Server {
	t.Helper()
	ip, err := HostIP()
	if err != nil {
		t.Fatal(err)
	}
	s := StartOn(t, ip, targets...)
	s.Expose(t, kube, namespace, name)
	return s
}

// Expose makes s, listening on a non-loopback address (StartOn with
// HostIP), reachable as Service namespace/name port 9090 ("web") through
// the apiserver's service proxy, the way the apiserver accepts it:
//
//   - a Service without selector and a manual EndpointSlice for it, since
//     Prometheus runs on this machine, not in a pod;
//   - the endpoint's address must not be loopback (EndpointSlice
//     validation refuses 127.0.0.0/8) and its targetRef must name a pod of
//     the same namespace whose status.podIPs holds that address: the proxy
//     ("we only proxy to addresses that are actually pods") checks both;
//   - that pod is a hostNetwork pod on a fake node of its own whose
//     InternalIP is this machine's address, so kwok (the local cluster's
//     kubelet) gives it that address as its pod IP. The node is tainted so
//     nothing else is scheduled there.
//
// Everything is deleted when the test ends (the namespace by its owner).
func (s *Server) Expose(t testing.TB, kube kubernetes.Interface, namespace, name string) {
	t.Helper()
	u, err := url.Parse(s.Address)
	if err != nil {
		t.Fatal(err)
	}
	host, portStr := u.Hostname(), u.Port()
	port, _ := strconv.Atoi(portStr)
	if ip := net.ParseIP(host); ip == nil || ip.IsLoopback() {
		t.Fatalf("prometheus at %s: the service proxy refuses loopback endpoints; start it with StartOn(t, HostIP())", s.Address)
	}
	ctx := t.Context()
	node := hostNode(namespace+"-"+name, host)
	if _, err := kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("Node/%s: %v", node.Name, err)
	}
	t.Cleanup(func() {
		_ = kube.CoreV1().Nodes().Delete(context.WithoutCancel(ctx), node.Name, metav1.DeleteOptions{})
	})
	// kwok reads a host-network pod's IP from its node's addresses when it
	// starts the pod, and never again: the node must have them first.
	if err := waitNodeIP(ctx, kube, node.Name, host, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	pod, err := kube.CoreV1().Pods(namespace).Create(ctx, hostPod(name, node.Name), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("Pod/%s/%s: %v", namespace, name, err)
	}
	t.Cleanup(func() {
		zero := int64(0)
		_ = kube.CoreV1().Pods(namespace).Delete(context.WithoutCancel(ctx), name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
	if err := waitPodIP(ctx, kube, pod, host, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{
			Name: "web", Port: ServicePort, Protocol: corev1.ProtocolTCP,
		}}},
	}
	if _, err := kube.CoreV1().Services(namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("Service/%s/%s: %v", namespace, name, err)
	}
	if _, err := kube.DiscoveryV1().EndpointSlices(namespace).Create(ctx, endpointSlice(name, namespace, host, int32(port)), metav1.CreateOptions{}); err != nil {
		t.Fatalf("EndpointSlice/%s/%s: %v", namespace, name, err)
	}
}

// hostNode is a fake node kwok manages (see test/localcluster) whose
// InternalIP is ip, tainted so that only pods tolerating it land there.
func hostNode(name, ip string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{
			"kwok.x-k8s.io/node":           "fake",
			"promote.test/internal-ip":     ip,
			"node.alpha.kubernetes.io/ttl": "0",
		}},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "promote.test/prometheus-host", Effect: corev1.TaintEffectNoSchedule}}},
	}
}

// hostPod stands for Prometheus on node: on the host's network, its pod
// IP is the node's InternalIP.
func hostPod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			NodeName:    node,
			HostNetwork: true,
			Tolerations: []corev1.Toleration{{Key: "promote.test/prometheus-host", Operator: corev1.TolerationOpExists}},
			Containers:  []corev1.Container{{Name: "prometheus", Image: "prom/prometheus:test"}},
		},
	}
}

func endpointSlice(name, namespace, ip string, port int32) *discoveryv1.EndpointSlice {
	ready, portName, tcp := true, "web", corev1.ProtocolTCP
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{
			discoveryv1.LabelServiceName: name,
			discoveryv1.LabelManagedBy:   "promote.test",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{ip},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: namespace, Name: name},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: &portName, Port: &port, Protocol: &tcp}},
	}
}

// waitPodIP waits until kwok has given pod the IP ip.
func waitPodIP(ctx context.Context, kube kubernetes.Interface, pod *corev1.Pod, ip string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		p, err := kube.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err == nil && p.Status.PodIP == ip {
			return nil
		}
		if time.Now().After(deadline) {
			got := fmt.Sprint(err)
			if err == nil {
				got = fmt.Sprintf("pod IP %q, phase %s", p.Status.PodIP, p.Status.Phase)
			}
			return fmt.Errorf("no pod IP %s on Pod/%s/%s after %s: %s", ip, pod.Namespace, pod.Name, d, got)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitNodeIP waits until kwok has initialised node with InternalIP ip.
func waitNodeIP(ctx context.Context, kube kubernetes.Interface, node, ip string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		n, err := kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err == nil {
			for _, a := range n.Status.Addresses {
				if a.Type == corev1.NodeInternalIP && a.Address == ip {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no InternalIP %s on Node/%s after %s (%v)", ip, node, d, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
