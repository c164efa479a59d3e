package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// DefaultProbeTimeout bounds how long `envs` waits for each cluster.
const DefaultProbeTimeout = 3 * time.Second

// notKnown fills columns that have no value (yet).
const notKnown = "-"

// unreachable fills the cluster columns of an environment whose cluster did
// not answer; `envs` never fails for that.
const unreachable = "unreachable"

// EnvStatusFunc reads where an environment stands; promote.Status is the
// real one, tests plug in others.
type EnvStatusFunc func(ctx context.Context, t promote.Target) (*promote.EnvStatus, error)

// EnvsOptions lists the pipeline's environments with their clusters.
type EnvsOptions struct {
	*GlobalOptions
	// Timeout bounds each cluster's probe and status read; clusters are
	// probed at once.
	Timeout time.Duration
	// Status fills REVISION and HEALTH.
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
	o := &EnvsOptions{GlobalOptions: g, Timeout: DefaultProbeTimeout, Status: readStatus}
	cmd := &cobra.Command{
		Use:   "envs",
		Short: "List environments: cluster, namespace, source, strategy, revision, health",
		Long: "List the pipeline's environments in file order, each in the context and namespace promote.yaml gives\n" +
			"it (-n and --context move the environment of a command such as apply or status; here they are ignored).\n" +
			"REVISION is the current successful release (and the newest one when that differs), HEALTH the live\n" +
			"health of its objects. Every cluster is probed at once, each for at most --probe-timeout; a cluster that\n" +
			"does not answer shows `unreachable` instead of failing the command.",
		Args: cobra.NoArgs,
		RunE: runE(o),
	}
	cmd.Flags().DurationVar(&o.Timeout, "probe-timeout", o.Timeout, "how long to wait for each cluster")
	return cmd
}

// readStatus is promote.Status with the real clock.
func readStatus(ctx context.Context, t promote.Target) (*promote.EnvStatus, error) {
	return promote.Status(ctx, t, promote.StatusOptions{})
}

// Complete loads the pipeline.
func (o *EnvsOptions) Complete(_ []string) error {
	p, err := o.LoadPipeline()
	o.pipeline = p
	return err
}

// Validate checks the output format.
func (o *EnvsOptions) Validate() error {
	return checkOutput(o.Output, OutputText, OutputJSON, OutputYAML)
}

// Run probes the clusters and prints one row per environment.
func (o *EnvsOptions) Run(ctx context.Context) error {
	if ov := o.overrides(); ov != "" {
		fmt.Fprintf(o.ErrOut, "warning: %s ignored: envs shows every environment where promote.yaml puts it\n", ov)
	}
	rows := o.Rows(ctx)
	warned := map[string]bool{}
	for _, r := range rows {
		if r.Error != "" && !warned[r.Error] {
			warned[r.Error] = true
			fmt.Fprintf(o.ErrOut, "warning: %s\n", r.Error)
		}
	}
	if err := o.print(rows); err != nil {
		return err
	}
	return unanswered(rows)
}

func (o *EnvsOptions) print(rows []EnvRow) error {
	if o.Output != OutputText {
		return printStructured(o.Out, rows, o.Output)
	}
	table := make([][]string, 0, len(rows))
	for _, r := range rows {
		table = append(table, []string{r.Name, or(r.From), or(r.Context), r.Namespace, r.Source, r.Strategy, r.Revision, r.Health})
	}
	return printTable(o.Out, []string{"ENVIRONMENT", "FROM", "CONTEXT", "NAMESPACE", "SOURCE", "STRATEGY", "REVISION", "HEALTH"}, table)
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
		if _, ok := pings[env.Cluster.Context]; !ok {
			pings[env.Cluster.Context] = sync.OnceValue(func() error { return o.ping(ctx, env) })
		}
	}
	var wg sync.WaitGroup
	for i := range envs {
		rows[i] = o.staticRow(&envs[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.probe(ctx, &envs[i], &rows[i], pings[envs[i].Cluster.Context])
		}()
	}
	wg.Wait()
	return rows
}

func (o *EnvsOptions) staticRow(env *pipeline.Environment) EnvRow {
	ctxName := env.Cluster.Context
	if ctxName == "" {
		ctxName = o.CurrentContext()
	}
	return EnvRow{
		Name: env.Name, From: env.From, Context: ctxName, Namespace: env.Namespace,
		Source: sourceOf(env.Source), Strategy: env.Strategy.Name(),
		Revision: unreachable, Health: unreachable,
	}
}

// ping checks, once per context and within the timeout, that env's
// cluster answers.
func (o *EnvsOptions) ping(ctx context.Context, env *pipeline.Environment) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c, err := o.ClientsFor(env)
	if err != nil {
		return err
	}
	return promote.Ping(ctx, c)
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
	c, err := o.ClientsFor(env)
	if err != nil {
		row.Error = err.Error()
		return
	}
	row.Reachable, row.Revision, row.Health = true, notKnown, notKnown
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	st, err := o.Status(ctx, promote.Target{Pipeline: o.pipeline, Env: env, Clients: c})
	if err != nil {
		row.Error = fmt.Sprintf("environment %s: %v", env.Name, err)
	}
	if st != nil {
		row.Revision, row.Health = revisionColumn(st), healthColumn(st)
	}
}

// revisionColumn is the current revision, and the newest one when that is
// another ("3 (4 failed)"); "-" before the first release.
func revisionColumn(st *promote.EnvStatus) string {
	cur, latest := st.Current, st.Latest
	switch {
	case latest == nil:
		return notKnown
	case cur == nil:
		return fmt.Sprintf("- (%d %s)", latest.Revision, latest.Status)
	case latest.Revision != cur.Revision:
		return fmt.Sprintf("%d (%d %s)", cur.Revision, latest.Revision, latest.Status)
	}
	return strconv.Itoa(cur.Revision)
}

// healthColumn is the live health of the current release, "-" without one.
func healthColumn(st *promote.EnvStatus) string {
	if st.Current == nil {
		return notKnown
	}
	return st.Health
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
