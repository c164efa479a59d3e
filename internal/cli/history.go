package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// HistoryOptions lists the release records of one environment.
type HistoryOptions struct {
	g *GlobalOptions
	// Format is text, json or yaml.
	Format string

	target envTarget
}

// NewCmdHistory returns `history ENV`.
func NewCmdHistory(g *GlobalOptions) *cobra.Command {
	o := &HistoryOptions{g: g}
	return &cobra.Command{
		Use:               "history ENV",
		Short:             "List the release records of an environment, newest first",
		Long:              "List the release records kept in the environment's namespace, newest first. Manifests are never shown.",
		Args:              badArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: CompleteEnvs(g, 1),
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
}

// Complete resolves the environment to its cluster and namespace.
func (o *HistoryOptions) Complete(_ *cobra.Command, args []string) error {
	o.Format = o.g.Output
	t, err := resolveEnv(o.g, args[0])
	o.target = t
	return err
}

// Validate checks the output format.
func (o *HistoryOptions) Validate() error {
	return checkOutput(o.Format, OutputText, OutputJSON, OutputYAML)
}

// Run reads the records and prints them.
func (o *HistoryOptions) Run(ctx context.Context) error {
	records, err := o.target.store().List(ctx)
	if err != nil {
		return exitcode.With(exitcode.Cluster, err)
	}
	sums := make([]release.Summary, len(records))
	for i, r := range records {
		sums[i] = r.Summary()
	}
	if o.Format != OutputText {
		return printStructured(o.g.Out, sums, o.Format)
	}
	if len(sums) == 0 {
		fmt.Fprintf(o.g.ErrOut, "no releases of %s in namespace %s\n", o.target.env.Name, o.target.namespace)
		return nil
	}
	return printTable(o.g.Out, historyHeaders, historyRows(sums))
}

var historyHeaders = []string{"REVISION", "STATUS", "SOURCE", "ARTIFACTS", "STRATEGY", "USER", "STARTED", "DURATION", "REASON"}

// historyRows formats summaries as history's table rows.
func historyRows(sums []release.Summary) [][]string {
	rows := make([][]string, 0, len(sums))
	for _, s := range sums {
		source := notKnown
		if s.Source != nil {
			source = s.Source.Environment + "#" + strconv.Itoa(s.Source.Revision)
		}
		started := notKnown
		if !s.Started.IsZero() {
			started = s.Started.Local().Format("2006-01-02 15:04:05")
		}
		rows = append(rows, []string{
			strconv.Itoa(s.Revision), string(s.Status), source, shortArtifacts(s.Artifacts),
			or(s.Strategy), or(s.User), started, or(s.Duration), or(truncate(reasonOf(s), 60)),
		})
	}
	return rows
}

// reasonOf is the record's reason, else its failure, else where an undo went.
func reasonOf(s release.Summary) string {
	switch {
	case s.Reason != "":
		return s.Reason
	case s.Failure != nil:
		return s.Failure.Object + ": " + s.Failure.Reason
	case s.RolledBackTo > 0:
		return "rolled back to " + strconv.Itoa(s.RolledBackTo)
	}
	return ""
}

// shortArtifacts lists artifacts compactly: image name (last path segment)
// with tag and a short digest, chart@version; two at most, then "+N".
func shortArtifacts(as []release.Artifact) string {
	if len(as) == 0 {
		return notKnown
	}
	var parts []string
	for i, a := range as {
		if i == 2 {
			parts = append(parts, fmt.Sprintf("+%d", len(as)-2))
			break
		}
		parts = append(parts, shortArtifact(a))
	}
	return strings.Join(parts, ",")
}

func shortArtifact(a release.Artifact) string {
	if a.Type == release.ArtifactChart {
		return a.Name + "@" + a.Ref
	}
	ref := a.Ref[strings.LastIndex(a.Ref, "/")+1:]
	if name, digest, ok := strings.Cut(ref, "@"); ok {
		algo, hex, _ := strings.Cut(digest, ":")
		ref = name + "@" + algo + ":" + hex[:min(len(hex), 12)]
	}
	return ref
}

// truncate shortens s to n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// envTarget is an environment resolved to its cluster and namespace, for
// the commands that read or write its records.
type envTarget struct {
	pipeline  *pipeline.Pipeline
	env       *pipeline.Environment
	namespace string
	client    kubernetes.Interface
	// now is the clock of the commands' "expires in" texts.
	now func() time.Time
}

// resolveEnv loads the pipeline and connects to env's cluster.
func resolveEnv(g *GlobalOptions, name string) (envTarget, error) {
	p, err := g.LoadPipeline()
	if err != nil {
		return envTarget{}, badInput(err)
	}
	env, err := p.Env(name)
	if err != nil {
		return envTarget{}, err
	}
	c, err := g.ClientsFor(env)
	if err != nil {
		return envTarget{}, err
	}
	return envTarget{pipeline: p, env: env, namespace: g.Namespace(env), client: c.Typed, now: time.Now}, nil
}

func (t envTarget) store() *release.Store {
	return release.NewStore(t.client, t.namespace, t.pipeline.Metadata.Name, t.env.Name)
}
