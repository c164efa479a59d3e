package cli

import (
	"fmt"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// The one resolver of the commands: an environment name becomes a
// promote.Target (pipeline, environment placed in its namespace and
// context, clients; the release store hangs off it).
//
// -n/--namespace (or `helm -n`) and --context (or `helm --kube-context`)
// move only the environment a command works on, its ENV or TARGET. An
// environment it merely reads from (a promotion's upstream, `diff --from`)
// stays where promote.yaml puts it, and `envs` shows every environment
// where promote.yaml puts it. The other kubectl flags (--kubeconfig,
// --token, --server, …) apply to every cluster.

// Target resolves ENV, the environment a command works on, with the
// namespace and context overrides applied.
func (g *GlobalOptions) Target(name string) (promote.Target, error) {
	return g.resolve(name, true)
}

// Upstream resolves an environment a command only reads from: no
// override applies to it.
func (g *GlobalOptions) Upstream(name string) (promote.Target, error) {
	return g.resolve(name, false)
}

// TargetEnv resolves ENV without its cluster, for commands that need no
// cluster (render) or connect later (diff).
func (g *GlobalOptions) TargetEnv(name string) (*pipeline.Pipeline, *pipeline.Environment, error) {
	p, env, err := g.env(name)
	if err != nil {
		return nil, nil, err
	}
	return p, g.placed(env), nil
}

func (g *GlobalOptions) resolve(name string, target bool) (promote.Target, error) {
	p, env, err := g.env(name)
	if err != nil {
		return promote.Target{}, err
	}
	// Always a copy: no command changes the pipeline's own environment.
	env = promote.Place(env, "", "")
	if target {
		env = g.placed(env)
	}
	c, err := g.ClientsFor(env)
	if err != nil {
		return promote.Target{}, err
	}
	return promote.Target{Pipeline: p, Env: env, Clients: c}, nil
}

// env loads the pipeline and finds name in it, as promote.yaml has it.
func (g *GlobalOptions) env(name string) (*pipeline.Pipeline, *pipeline.Environment, error) {
	p, err := g.LoadPipeline()
	if err != nil {
		return nil, nil, badInput(err)
	}
	env, err := p.Env(name)
	if err != nil {
		return nil, nil, badInput(err)
	}
	return p, env, nil
}

// placed is env moved by the overrides: --namespace, else `helm -n`;
// --context, else HELM_KUBECONTEXT (the default of --context).
func (g *GlobalOptions) placed(env *pipeline.Environment) *pipeline.Environment {
	return promote.Place(env, g.namespaceOverride(), g.flag(g.ConfigFlags.Context))
}

// namespaceOverride is --namespace, else `helm -n`; "" when neither was
// given. Helm always exports HELM_NAMESPACE (falling back to the
// context's namespace or "default"), so it only counts when it differs
// from that fallback.
func (g *GlobalOptions) namespaceOverride() string {
	if ns := g.flag(g.ConfigFlags.Namespace); ns != "" {
		return ns
	}
	if g.helmNamespace != "" && g.helmNamespace != g.kubeconfigNamespace() {
		return g.helmNamespace
	}
	return ""
}

// overrides names the placement overrides given, for the commands that
// cannot honour them; "" when none was.
func (g *GlobalOptions) overrides() string {
	switch {
	case g.namespaceOverride() != "" && g.flag(g.ConfigFlags.Context) != "":
		return "-n/--namespace and --context"
	case g.namespaceOverride() != "":
		return "-n/--namespace"
	case g.flag(g.ConfigFlags.Context) != "":
		return "--context"
	}
	return ""
}

// oneTarget refuses the overrides when a command names several targets:
// they move one environment, and which one would be a guess.
func (g *GlobalOptions) oneTarget(targets []string) error {
	if len(targets) < 2 {
		return nil
	}
	if o := g.overrides(); o != "" {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("%s move one environment, and %d targets were given: promote them one at a time", o, len(targets)))
	}
	return nil
}
