package watch

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Watcher is the seam rollout strategies depend on, so they can be tested
// with a fake that fails or succeeds on cue.
type Watcher interface {
	Watch(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, o Options, events chan<- Event) error
}

// Informers is the Watcher of a real cluster: it calls Watch.
type Informers struct{}

// Watch calls the package's Watch.
func (Informers) Watch(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, o Options, events chan<- Event) error {
	return Watch(ctx, c, objs, o, events)
}

var _ Watcher = Informers{}
