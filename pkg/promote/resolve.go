package promote

import (
	"context"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Target is one environment resolved to where it lives: its pipeline, the
// environment as the command works on it (Namespace and Cluster.Context
// already carry any command-line override) and its cluster's clients.
// Status, History, Undo and the CLI's commands all start from one.
type Target struct {
	Pipeline *pipeline.Pipeline
	// Env is a copy of the pipeline's environment with its effective
	// namespace and context.
	Env     *pipeline.Environment
	Clients *kube.Clients
}

// Namespace is where the environment's objects, records and lock live.
func (t Target) Namespace() string { return t.Env.Namespace }

// PipelineName is the pipeline's metadata.name, which labels records.
func (t Target) PipelineName() string { return t.Pipeline.Metadata.Name }

// Store is the environment's release store.
func (t Target) Store() *release.Store {
	return release.NewStore(t.typed(), t.Namespace(), t.PipelineName(), t.Env.Name)
}

func (t Target) typed() kubernetes.Interface { return t.Clients.Typed }

// Place returns a copy of env in namespace and context; empty values keep
// the environment's own. The copy keeps env's name, so the pipeline still
// finds its file position and defaults.
func Place(env *pipeline.Environment, namespace, context string) *pipeline.Environment {
	e := *env
	if namespace != "" {
		e.Namespace = namespace
	}
	if context != "" {
		e.Cluster.Context = context
	}
	return &e
}

// Ping asks c's apiserver for its version: the cheapest request that
// proves the cluster answers and the credentials are read.
func Ping(ctx context.Context, c *kube.Clients) error {
	return c.Typed.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
}
