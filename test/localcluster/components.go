package localcluster

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Component names, as the components binary knows them, in start order.
const (
	etcd                  = "etcd"
	kubeAPIServer         = "kube-apiserver"
	kubeControllerManager = "kube-controller-manager"
	kubeScheduler         = "kube-scheduler"
	kwok                  = "kwok"
)

var components = []string{etcd, kubeAPIServer, kubeControllerManager, kubeScheduler, kwok}

// Annotations and labels shared with the Stage files and with tests.
const (
	// FateLabel on a pod picks its fate: FateCrashLoop, FateNeverReady,
	// FateImagePull, FateOOM or FateLateCrash. Without it (or with another
	// value) the pod becomes Running and Ready. An image tag ending in a
	// fate (":2.0.0-crashloop", also before "@sha256:…") picks it too.
	FateLabel = "promote.test/fate"
	// ReadyDelayAnnotation on a pod ("3s", any Go duration) keeps it in
	// ContainerCreating that long before it becomes Ready.
	ReadyDelayAnnotation = "promote.test/ready-delay"

	// Values of FateLabel; see stages/pod-*.yaml and docs/localcluster.md.
	FateCrashLoop  = "crashloop"
	FateNeverReady = "never-ready"
	FateImagePull  = "image-pull"
	FateOOM        = "oom"
	FateLateCrash  = "late-crash"
	// CrashAfterAnnotation delays a FateLateCrash pod's first crash after
	// it became Ready (default 8s).
	CrashAfterAnnotation = "promote.test/crash-after"

	// kwokNodeAnnotation marks the nodes kwok manages.
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	// internalIPAnnotation gives node-initialize each node's InternalIP.
	internalIPAnnotation = "promote.test/internal-ip"
)

//go:embed stages/*.yaml
var stageFiles embed.FS

// kwokConfig joins the embedded Stage files into the one multi-document
// file kwok reads with --config. Any Stage there replaces all of kwok's
// defaults, which is why node and plain pod stages are among them.
func kwokConfig() ([]byte, error) {
	names, err := fs.Glob(stageFiles, "stages/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		data, err := stageFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "---\n# %s\n%s", name, data)
	}
	return []byte(b.String()), nil
}

// ports are the TCP ports of one cluster, all on 127.0.0.1. The
// controller-manager and scheduler serve nothing (--secure-port=0), so
// several clusters never collide on their default ports.
type ports struct {
	EtcdClient int `json:"etcdClient"`
	EtcdPeer   int `json:"etcdPeer"`
	APIServer  int `json:"apiServer"`
	Kwok       int `json:"kwok"`
}

func (p ports) all() []int { return []int{p.EtcdClient, p.EtcdPeer, p.APIServer, p.Kwok} }

// args returns the command line of component name; flags follow kwokctl's
// "binary" runtime (sigs.k8s.io/kwok/pkg/kwokctl/components).
func (c *Cluster) args(name string) []string {
	pkiFile := func(f string) string { return filepath.Join(c.Dir, "pki", f) }
	switch name {
	case etcd:
		return c.etcdArgs()
	case kubeAPIServer:
		return []string{
			"--bind-address=127.0.0.1",
			// Loopback works without a network; the endpoint reconcilers
			// refuse it, and nothing in a cluster of fake nodes needs the
			// kubernetes Service's endpoints.
			"--advertise-address=127.0.0.1",
			"--endpoint-reconciler-type=none",
			fmt.Sprintf("--secure-port=%d", c.ports.APIServer),
			fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", c.ports.EtcdClient),
			"--tls-cert-file=" + pkiFile(apiserverCertFile),
			"--tls-private-key-file=" + pkiFile(apiserverKeyFile),
			"--client-ca-file=" + pkiFile(caCertFile),
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + pkiFile(saPubFile),
			"--service-account-signing-key-file=" + pkiFile(saKeyFile),
			"--service-cluster-ip-range=" + serviceCIDR,
			"--authorization-mode=Node,RBAC",
			"--allow-privileged=true",
			// Flow control only slows a single-user cluster down.
			"--enable-priority-and-fairness=false",
			// Keeps new nodes free of the not-ready taint; with the
			// node-lifecycle controller off nothing would remove it.
			"--disable-admission-plugins=TaintNodesByCondition",
			"--profiling=false",
		}
	case kubeControllerManager:
		return []string{
			"--kubeconfig=" + c.Kubeconfig,
			"--leader-elect=false",
			"--secure-port=0",
			// Node IPAM needs a cluster CIDR and node lifecycle would taint
			// and evict fake nodes whose kubelet never reports; neither
			// matters for fake nodes.
			"--controllers=*,-node-ipam-controller,-node-lifecycle-controller",
			"--use-service-account-credentials=false",
			"--root-ca-file=" + pkiFile(caCertFile),
			"--service-account-private-key-file=" + pkiFile(saKeyFile),
			"--cluster-signing-cert-file=" + pkiFile(caCertFile),
			"--cluster-signing-key-file=" + pkiFile(caKeyFile),
			"--kube-api-qps=100",
			"--kube-api-burst=200",
		}
	case kubeScheduler:
		return []string{
			"--kubeconfig=" + c.Kubeconfig,
			"--leader-elect=false",
			"--secure-port=0",
		}
	case kwok:
		return []string{
			"--kubeconfig=" + c.Kubeconfig,
			"--config=" + filepath.Join(c.Dir, "kwok.yaml"),
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
			"--cidr=" + podCIDR,
			fmt.Sprintf("--server-address=127.0.0.1:%d", c.ports.Kwok),
			"--node-lease-duration-seconds=40",
		}
	}
	return nil
}

func (c *Cluster) etcdArgs() []string {
	client := fmt.Sprintf("http://127.0.0.1:%d", c.ports.EtcdClient)
	peer := fmt.Sprintf("http://127.0.0.1:%d", c.ports.EtcdPeer)
	return []string{
		"--name=etcd0",
		"--data-dir=" + filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=etcd0=" + peer,
		"--initial-cluster-state=new",
		// Throwaway data: fsync is most of etcd's latency on a busy disk.
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
}

// writeKwokConfig writes the Stage files for kwok's --config.
func (c *Cluster) writeKwokConfig() error {
	data, err := kwokConfig()
	if err != nil {
		return fmt.Errorf("kwok config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.Dir, "kwok.yaml"), data, 0o644); err != nil {
		return fmt.Errorf("kwok config: %w", err)
	}
	return nil
}
