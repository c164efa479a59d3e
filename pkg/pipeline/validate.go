package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// Reserved are the subcommand names; an environment may not be called like
// one, or `kubectl promote NAME` would be ambiguous.
var Reserved = []string{
	"init", "envs", "render", "diff", "apply", "status", "history", "undo",
	"resume", "abort", "unlock", "version", "completion", "help", "dashboard", "guard", "test", "helm-import",
}

// Validate checks everything that can be checked without a cluster and
// reports all problems at once as a ProblemList carrying exitcode.BadInput.
// Kube contexts are checked separately by ValidateContexts, only when a
// command needs the cluster.
func (p *Pipeline) Validate() error {
	v := &validator{p: p, problems: &problems{file: p.Path, lines: p.Lines}}
	v.metadata()
	v.environments()
	if d := p.Spec.Defaults; d != nil {
		v.health("spec.defaults.health", "defaults", d.Health)
		v.history("spec.defaults.history", "defaults", d.History)
	}
	v.notify("spec.notify", "spec", p.Spec.Notify)
	if len(v.list) > 0 {
		return exitcode.With(exitcode.BadInput, sorted(v.list))
	}
	return nil
}

// ValidateContexts reports every environment whose cluster.context is not
// one of contexts (the kubeconfig's).
func (p *Pipeline) ValidateContexts(contexts []string) error {
	ps := &problems{file: p.Path, lines: p.Lines}
	for i := range p.Spec.Environments {
		checkContext(ps, i, &p.Spec.Environments[i], contexts)
	}
	if len(ps.list) > 0 {
		return exitcode.With(exitcode.BadInput, sorted(ps.list))
	}
	return nil
}

// ValidateContext is ValidateContexts for one environment, for commands
// that touch only that one.
func (p *Pipeline) ValidateContext(env *Environment, contexts []string) error {
	ps := &problems{file: p.Path, lines: p.Lines}
	checkContext(ps, p.index(env), env, contexts)
	if len(ps.list) > 0 {
		return exitcode.With(exitcode.BadInput, ps.list[0])
	}
	return nil
}

func checkContext(ps *problems, i int, e *Environment, contexts []string) {
	if e.Cluster.Context == "" || slices.Contains(contexts, e.Cluster.Context) {
		return
	}
	known := "none"
	if len(contexts) > 0 {
		sortedContexts := slices.Sorted(slices.Values(contexts))
		known = strings.Join(sortedContexts, ", ")
	}
	ps.field(envPath(i)+".cluster.context", "environment %q: kube context %q is not in the kubeconfig; known contexts: %s",
		e.Name, e.Cluster.Context, known)
}

// validator checks one pipeline, collecting problems.
type validator struct {
	p *Pipeline
	*problems
}

func (v *validator) metadata() {
	switch name := v.p.Metadata.Name; {
	case name == "":
		v.field("metadata.name", "metadata.name is required: name the pipeline (it labels every object it owns)")
	case len(validation.IsDNS1123Label(name)) > 0:
		v.field("metadata.name", "metadata.name %q must be a DNS label: lower-case letters, digits and '-', at most 63", name)
	}
}

func (v *validator) environments() {
	envs := v.p.Spec.Environments
	if len(envs) == 0 {
		v.field("spec.environments", "spec.environments is empty: list at least one environment")
		return
	}
	firstLine := map[string]int{}
	for i := range envs {
		e := &envs[i]
		path := envPath(i)
		if first, dup := firstLine[e.Name]; dup && e.Name != "" {
			v.field(path+".name", "duplicate environment %q (first defined on line %d)", e.Name, first)
		} else {
			firstLine[e.Name] = lineOf(v.lines, path+".name")
		}
		v.environment(path, e)
	}
	v.cycles()
}

func (v *validator) environment(path string, e *Environment) {
	v.envName(path, e.Name)
	label := fmt.Sprintf("environment %q", e.Name)
	if e.Name == "" {
		label = path
	}
	if e.From != "" && e.From != e.Name {
		if _, err := v.p.Env(e.From); err != nil {
			v.field(path+".from", "%s: from %q names no environment; known: %s", label, e.From, strings.Join(v.p.Names(), ", "))
		}
	}
	v.namespace(path, label, e)
	v.source(path+".source", label, e.Source)
	v.strategy(path+".strategy", label, e.Strategy)
	v.gates(path+".gates", label, e.Gates)
	v.health(path+".health", label, e.Health)
	v.history(path+".history", label, e.History)
	v.notify(path+".notify", label, e.Notify)
}

func (v *validator) envName(path, name string) {
	switch {
	case name == "":
		v.field(path, "%s: name is required", path)
	case slices.Contains(Reserved, name):
		v.field(path+".name", "environment name %q is reserved (it is a subcommand: `kubectl promote %s`); rename the environment", name, name)
	case len(validation.IsDNS1123Label(name)) > 0:
		v.field(path+".name", "environment name %q must be a DNS label: lower-case letters, digits and '-', at most 63", name)
	}
}

func (v *validator) namespace(path, label string, e *Environment) {
	switch {
	case e.Namespace == "":
		v.field(path, "%s: namespace is required", label)
	case len(validation.IsDNS1123Label(e.Namespace)) > 0:
		v.field(path+".namespace", "%s: namespace %q must be a DNS label: lower-case letters, digits and '-', at most 63", label, e.Namespace)
	}
	for j, ns := range e.AllowNamespaces {
		if len(validation.IsDNS1123Label(ns)) > 0 {
			v.field(fmt.Sprintf("%s.allowNamespaces[%d]", path, j), "%s: allowNamespaces: %q is not a valid namespace name", label, ns)
		}
	}
}

// cycles reports each `from` cycle once, at the first environment in it.
func (v *validator) cycles() {
	envs := v.p.Spec.Environments
	index := map[string]int{}
	for i, e := range envs {
		if _, dup := index[e.Name]; !dup {
			index[e.Name] = i
		}
	}
	reported := map[int]bool{}
	for start := range envs {
		chain, seen := []int{}, map[int]bool{}
		for i, ok := start, true; ok && !reported[i]; i, ok = index[envs[i].From] {
			if seen[i] {
				v.cycle(chain[slices.Index(chain, i):], reported)
				break
			}
			seen[i] = true
			chain = append(chain, i)
			if envs[i].From == "" {
				break
			}
		}
	}
}

func (v *validator) cycle(loop []int, reported map[int]bool) {
	first := slices.Min(loop)
	k := slices.Index(loop, first)
	loop = append(loop[k:], loop[:k]...)
	names := make([]string, 0, len(loop)+1)
	for _, i := range loop {
		reported[i] = true
		names = append(names, v.p.Spec.Environments[i].Name)
	}
	names = append(names, names[0])
	slices.Reverse(names)
	v.field(envPath(first)+".from", "from cycle: %s; the first environment of a chain has no from", strings.Join(names, " → "))
}

func envPath(i int) string { return fmt.Sprintf("spec.environments[%d]", i) }

// index returns the position of env in the pipeline, or -1.
func (p *Pipeline) index(env *Environment) int {
	for i := range p.Spec.Environments {
		if &p.Spec.Environments[i] == env || p.Spec.Environments[i].Name == env.Name {
			return i
		}
	}
	return -1
}

// exists reports a missing path (relative to the pipeline file) and returns
// its FileInfo when it is there.
func (v *validator) exists(path, label, what, rel string) os.FileInfo {
	fi, err := os.Stat(v.p.Resolve(rel))
	if err != nil {
		v.field(path, "%s: %s %s does not exist (paths are relative to %s)", label, what, rel, v.p.dirForHumans())
		return nil
	}
	return fi
}

// dirForHumans names the pipeline file's directory in messages.
func (p *Pipeline) dirForHumans() string {
	if d := filepath.Dir(p.Path); d != "." {
		return d
	}
	return "the directory of " + filepath.Base(p.Path)
}
