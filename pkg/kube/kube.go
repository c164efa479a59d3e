// Package kube builds the Kubernetes clients every verb shares: one
// discovery cache and REST mapper per run, and client QPS/burst raised above
// client-go's 5/10 so that hundreds of objects are not throttled.
package kube

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// FieldManager is the server-side apply field manager of every write.
const FieldManager = "kubectl-promote"

// Label keys on objects the tool owns.
const (
	LabelPipeline    = "promote.kubectl-plugin.dev/pipeline"
	LabelEnvironment = "promote.kubectl-plugin.dev/environment"
)

// Default client rate limits; the apiserver's own priority and fairness
// still protects it.
const (
	DefaultQPS   = 100
	DefaultBurst = 200
)

// Clients are the clients of one cluster, built once per run.
type Clients struct {
	Config    *rest.Config
	Typed     kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.CachedDiscoveryInterface
	Mapper    meta.RESTMapper
}

// New builds Clients from kubectl-style flags, with raised rate limits.
func New(getter genericclioptions.RESTClientGetter) (*Clients, error) {
	cfg, err := getter.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 || cfg.QPS < DefaultQPS {
		cfg.QPS = DefaultQPS
	}
	if cfg.Burst < DefaultBurst {
		cfg.Burst = DefaultBurst
	}
	disc, err := getter.ToDiscoveryClient()
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	mapper, err := getter.ToRESTMapper()
	if err != nil {
		return nil, fmt.Errorf("rest mapper: %w", err)
	}
	return fromConfig(cfg, disc, mapper)
}

// NewForConfig builds Clients from a rest.Config (tests, multi-cluster).
func NewForConfig(cfg *rest.Config) (*Clients, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS < DefaultQPS {
		cfg.QPS, cfg.Burst = DefaultQPS, DefaultBurst
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc := memoryCached(dc)
	return fromConfig(cfg, disc, deferredMapper(disc))
}

func fromConfig(cfg *rest.Config, disc discovery.CachedDiscoveryInterface, mapper meta.RESTMapper) (*Clients, error) {
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Clients{Config: cfg, Typed: typed, Dynamic: dyn, Discovery: disc, Mapper: mapper}, nil
}
