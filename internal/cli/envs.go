package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// DefaultProbeTimeout bounds how long `envs` waits for each cluster.
const DefaultProbeTimeout = 3 * time.Second

// notKnown fills columns that have no value (yet).
const notKnown = "-"

// unreachable fills the cluster columns of an environment whose cluster did
// not answer; `envs` never fails for that.
const unreachable = "unreachable"

// EnvStatusFunc reads an environment's current revision and health from
// its cluster. The release store plugs in here once it exists.
type EnvStatusFunc func(ctx context.Context, c *kube.Clients, namespace string, env *pipeline.Environment) (revision, health string, err error)

// EnvsOptions lists the pipeline's environments with their clusters.
type EnvsOptions struct {
	g *GlobalOptions
	// Format is text, json or yaml.
	Format string
	// Timeout bounds each cluster's probe; clusters are probed at once.
	Timeout time.Duration
	// Status fills REVISION and HEALTH; nil shows "-" for reachable ones.
	Status EnvStatusFunc

	pipeline *pipeline.Pipeline
}

// EnvRow is one environment as `envs` prints it.
type EnvRow struct {
	Name      string `json:"name"`
	From      string `json:"from,omitempty"`
	Context   string `json:"context"`
	Namespace string `json:"namespace"`
	Source    string `json:"source"`
	Strategy  string `json:"strategy"`
	Revision  string `json:"revision"`
	Health    string `json:"health"`
	Reachable bool   `json:"reachable"`
	// Error says why the cluster columns are empty.
	Error string `json:"error,omitempty"`
}

// NewCmdEnvs returns `envs`.
func NewCmdEnvs(g *GlobalOptions) *cobra.Command {
	o := &EnvsOptions{g: g, Timeout: DefaultProbeTimeout}
	cmd := &cobra.Command{
		Use:   "envs",
		Short: "List environments: cluster, namespace, source, strategy, revision, health",
		Long: "List the pipeline's environments in file order. Every cluster is probed at once, each for at most\n" +
			"--probe-timeout; a cluster that does not answer shows `unreachable` instead of failing the command.",
		Args: badArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().DurationVar(&o.Timeout, "probe-timeout", o.Timeout, "how long to wait for each cluster")
	return cmd
}

// Complete loads the pipeline and takes the output format.
func (o *EnvsOptions) Complete(_ *cobra.Command, _ []string) error {
	o.Format = o.g.Output
	p, err := o.g.LoadPipeline()
	o.pipeline = p
	return err
}

// Validate checks the output format.
func (o *EnvsOptions) Validate() error {
	return checkOutput(o.Format, OutputText, OutputJSON, OutputYAML)
}

// Run probes the clusters and prints one row per environment.
func (o *EnvsOptions) Run(ctx context.Context) error {
	rows := o.Rows(ctx)
	warned := map[string]bool{}
	for _, r := range rows {
		if r.Error != "" && !warned[r.Error] {
			warned[r.Error] = true
			fmt.Fprintf(o.g.ErrOut, "warning: %s\n", r.Error)
		}
	}
	if err := o.print(rows); err != nil {
		return err
	}
	return unanswered(rows)
}

func (o *EnvsOptions) print(rows []EnvRow) error {
	if o.Format != OutputText {
		return printStructured(o.g.Out, rows, o.Format)
	}
	table := make([][]string, 0, len(rows))
	for _, r := range rows {
		table = append(table, []string{r.Name, or(r.From), or(r.Context), r.Namespace, r.Source, r.Strategy, r.Revision, r.Health})
	}
	return printTable(o.g.Out, []string{"ENVIRONMENT", "FROM", "CONTEXT", "NAMESPACE", "SOURCE", "STRATEGY", "REVISION", "HEALTH"}, table)
}

// unanswered is exit 3, already reported by the warnings, when a cluster
// did not answer: a listing with holes is not a success CI can rely on.
func unanswered(rows []EnvRow) error {
	var names []string
	for _, r := range rows {
		if !r.Reachable {
			names = append(names, r.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return Reported(exitcode.With(exitcode.Cluster, fmt.Errorf("no answer from the cluster of %s", strings.Join(names, ", "))))
}

// Rows describes every environment, probing each distinct cluster once and
// all of them concurrently.
func (o *EnvsOptions) Rows(ctx context.Context) []EnvRow {
	envs := o.pipeline.Spec.Environments
	rows := make([]EnvRow, len(envs))
	pings := map[string]func() error{}
	for i := range envs {
		env := &envs[i]
		if _, ok := pings[o.g.Context(env)]; !ok {
			pings[o.g.Context(env)] = sync.OnceValue(func() error { return o.ping(ctx, env) })
		}
	}
	var wg sync.WaitGroup
	for i := range envs {
		rows[i] = o.staticRow(&envs[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.probe(ctx, &envs[i], &rows[i], pings[o.g.Context(&envs[i])])
		}()
	}
	wg.Wait()
	return rows
}

func (o *EnvsOptions) staticRow(env *pipeline.Environment) EnvRow {
	ctxName := o.g.Context(env)
	if ctxName == "" {
		ctxName = o.g.CurrentContext()
	}
	return EnvRow{
		Name: env.Name, From: env.From, Context: ctxName, Namespace: o.g.Namespace(env),
		Source: sourceOf(env.Source), Strategy: env.Strategy.Name(),
		Revision: unreachable, Health: unreachable,
	}
}

// ping checks, once per context and within the timeout, that env's
// cluster answers.
func (o *EnvsOptions) ping(ctx context.Context, env *pipeline.Environment) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c, err := o.g.ClientsFor(env)
	if err != nil {
		return err
	}
	return c.Typed.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
}

// probe fills the cluster columns of row once its cluster has answered.
func (o *EnvsOptions) probe(ctx context.Context, env *pipeline.Environment, row *EnvRow, ping func() error) {
	if err := ping(); err != nil {
		row.Error = err.Error()
		if exitcode.Code(err) != exitcode.BadInput {
			row.Error = fmt.Sprintf("%s: cluster unreachable: %v", contextLabel(row.Context), err)
		}
		return
	}
	c, err := o.g.ClientsFor(env)
	if err != nil {
		row.Error = err.Error()
		return
	}
	row.Reachable, row.Revision, row.Health = true, notKnown, notKnown
	if o.Status == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	rev, health, err := o.Status(ctx, c, row.Namespace, env)
	if err != nil {
		row.Error = err.Error()
		return
	}
	row.Revision, row.Health = or(rev), or(health)
}

// sourceOf is "kustomize PATH" or "helm CHART".
func sourceOf(s pipeline.Source) string {
	switch {
	case s.Kustomize != nil:
		return "kustomize " + s.Kustomize.Path
	case s.Helm != nil:
		return "helm " + s.Helm.Chart
	}
	return notKnown
}

func or(s string) string {
	if s == "" {
		return notKnown
	}
	return s
}

func contextLabel(name string) string {
	if name == "" {
		return "the kubeconfig's current context (none is set)"
	}
	return fmt.Sprintf("context %q", name)
}
