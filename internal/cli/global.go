package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// applyHelmEnv honours Helm's plugin environment: HELM_KUBECONTEXT becomes
// the default of --context, so an explicit flag still wins. Helm always
// exports HELM_NAMESPACE (falling back to the context's namespace or
// "default"), so it only overrides the target environment's namespace when it differs
// from that fallback, i.e. when the user passed `helm -n`.
func (g *GlobalOptions) applyHelmEnv() {
	if c := os.Getenv("HELM_KUBECONTEXT"); c != "" && g.ConfigFlags.Context != nil {
		*g.ConfigFlags.Context = c
	}
	g.helmNamespace = os.Getenv("HELM_NAMESPACE")
}

// Validate checks the flags every command shares.
func (g *GlobalOptions) Validate() error {
	switch g.Color {
	case "auto", "always", "never":
	default:
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--color %q: use auto, always or never", g.Color))
	}
	return nil
}

// ColorEnabled tells whether to colour what is written to w: always with
// --color=always, never with --color=never, and with auto only when w is a
// terminal, TERM is not "dumb" and NO_COLOR is unset.
func (g *GlobalOptions) ColorEnabled(w io.Writer) bool {
	switch g.Color {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// LoadPipeline finds (or takes -f), loads and validates the pipeline file,
// once per run. Problems name the file relative to the working directory.
func (g *GlobalOptions) LoadPipeline() (*pipeline.Pipeline, error) {
	if g.pipeline != nil {
		return g.pipeline, nil
	}
	p, err := g.loadPipeline()
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	g.pipeline = p
	return p, nil
}

// loadPipeline finds and strictly decodes the pipeline file, without
// validating it (completion works on a file with problems).
func (g *GlobalOptions) loadPipeline() (*pipeline.Pipeline, error) {
	path := g.File
	if path == "" {
		found, err := pipeline.Find(".")
		if err != nil {
			return nil, err
		}
		path = forHumans(found)
	}
	return pipeline.Load(path)
}

// forHumans shortens an absolute path to one relative to the working
// directory when that is shorter.
func forHumans(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && len(r) < len(path) {
		return r
	}
	return path
}

// kubeconfigNamespace is what Helm falls back to without -n.
func (g *GlobalOptions) kubeconfigNamespace() string {
	ns, _, err := g.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}

// KubeContexts lists the kubeconfig's context names, sorted.
func (g *GlobalOptions) KubeContexts() ([]string, error) {
	raw, err := g.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("kubeconfig: %w", err))
	}
	names := make([]string, 0, len(raw.Contexts))
	for name := range raw.Contexts {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// CurrentContext is the kubeconfig's current context, "" when it has none.
func (g *GlobalOptions) CurrentContext() string {
	raw, err := g.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return ""
	}
	return raw.CurrentContext
}

// ClientsFor returns the clients of env's cluster (env.Cluster.Context, as
// the resolver placed it; empty is the kubeconfig's current context), built
// once per context and run. An unknown context is BadInput naming the known
// ones.
func (g *GlobalOptions) ClientsFor(env *pipeline.Environment) (*kube.Clients, error) {
	name := env.Cluster.Context
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.clients[name]; ok {
		return c, nil
	}
	if err := g.checkContext(env, name); err != nil {
		return nil, err
	}
	c, err := kube.New(g.flagsFor(name))
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("environment %q: %w", env.Name, err))
	}
	g.clients[name] = c
	return c, nil
}

// checkContext reports a context the kubeconfig does not have, at its line
// in the pipeline file when it comes from there.
func (g *GlobalOptions) checkContext(env *pipeline.Environment, name string) error {
	if name == "" {
		return nil
	}
	known, err := g.KubeContexts()
	if err != nil || slices.Contains(known, name) {
		return err
	}
	if g.pipeline != nil {
		if own, _ := g.pipeline.Env(env.Name); own != nil && own.Cluster.Context == name {
			return g.pipeline.ValidateContext(own, known)
		}
	}
	return exitcode.With(exitcode.BadInput, fmt.Errorf("kube context %q (from --context) is not in the kubeconfig; known contexts: %s",
		name, strings.Join(known, ", ")))
}

// flagsFor copies the kubectl flags with the context replaced, so that
// --kubeconfig, --token, --server… still apply to every environment.
func (g *GlobalOptions) flagsFor(context string) *genericclioptions.ConfigFlags {
	src := g.ConfigFlags
	cf := genericclioptions.NewConfigFlags(true).WithDiscoveryBurst(300).WithDiscoveryQPS(50)
	cf.KubeConfig, cf.ClusterName, cf.AuthInfoName = src.KubeConfig, src.ClusterName, src.AuthInfoName
	cf.Namespace, cf.APIServer, cf.TLSServerName = src.Namespace, src.APIServer, src.TLSServerName
	cf.Insecure, cf.CertFile, cf.KeyFile, cf.CAFile = src.Insecure, src.CertFile, src.KeyFile, src.CAFile
	cf.BearerToken, cf.Username, cf.Password = src.BearerToken, src.Username, src.Password
	cf.Impersonate, cf.ImpersonateUID, cf.ImpersonateGroup = src.Impersonate, src.ImpersonateUID, src.ImpersonateGroup
	cf.ImpersonateUserExtra, cf.ProxyURL, cf.WrapConfigFn = src.ImpersonateUserExtra, src.ProxyURL, src.WrapConfigFn
	cf.Timeout, cf.CacheDir, cf.DisableCompression = src.Timeout, src.CacheDir, src.DisableCompression
	cf.Context = &context
	cf.WrapConfigFn = kube.WithBoundedAnswers(cf.WrapConfigFn)
	return cf
}

func (g *GlobalOptions) flag(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
