// Package localcluster runs a real Kubernetes control plane on this machine
// for tests and the demo: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and the kwok controller, which plays kubelet for fake nodes.
// No container runtime, kind or downloads are needed.
//
// The processes come from one multi-call binary built from the Go module in
// ./components (kept apart so the plugin's go.mod never requires
// k8s.io/kubernetes). EnsureBinary builds it once into
// .cache/localcluster/bin and rebuilds only when its stamp changes.
//
// Tests call Start (one cluster per call, stopped by t.Cleanup) or Shared
// (one cluster per test binary, stopped by Main). The localcluster command
// (./cmd/localcluster) uses Up and Down for clusters that outlive it.
//
// Pods pick their fate with the label promote.test/fate; see the Stage files
// in ./stages and docs/localcluster.md.
package localcluster
