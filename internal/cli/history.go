package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// HistoryOptions lists the release records of one environment.
type HistoryOptions struct {
	*GlobalOptions

	target promote.Target
}

// NewCmdHistory returns `history ENV`.
func NewCmdHistory(g *GlobalOptions) *cobra.Command {
	o := &HistoryOptions{GlobalOptions: g}
	return &cobra.Command{
		Use:               "history ENV",
		Short:             "List the release records of an environment, newest first",
		Long:              "List the release records kept in the environment's namespace, newest first. Manifests are never shown.",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
}

// Complete resolves ENV to its pipeline, placement and cluster.
func (o *HistoryOptions) Complete(args []string) error {
	var err error
	o.target, err = o.Target(args[0])
	return err
}

// Validate checks the output format.
func (o *HistoryOptions) Validate() error {
	return checkOutput(o.Output, OutputText, OutputJSON, OutputYAML)
}

// Run reads the records and prints them.
func (o *HistoryOptions) Run(ctx context.Context) error {
	sums, err := promote.History(ctx, o.target)
	if err != nil {
		return err
	}
	if o.Output != OutputText {
		return printStructured(o.Out, sums, o.Output)
	}
	if len(sums) == 0 {
		fmt.Fprintf(o.ErrOut, "no releases of %s in namespace %s\n", o.target.Env.Name, o.target.Namespace())
		return nil
	}
	return printTable(o.Out, historyHeaders, historyRows(sums))
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
		if o := s.Origin; o != nil && o.Helm != nil {
			source = "helm:" + o.Helm.Release + "#" + strconv.Itoa(o.Helm.Revision)
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

// shortArtifacts lists artifacts compactly: the chart first (chart@version,
// with a short OCI digest), then image names (last path segment) with tag
// and a short digest; two at most, then "+N".
func shortArtifacts(as []release.Artifact) string {
	if len(as) == 0 {
		return notKnown
	}
	ordered := make([]release.Artifact, 0, len(as))
	for _, a := range as {
		if a.Type == release.ArtifactChart {
			ordered = append(ordered, a)
		}
	}
	for _, a := range as {
		if a.Type != release.ArtifactChart {
			ordered = append(ordered, a)
		}
	}
	var parts []string
	for i, a := range ordered {
		if i == 2 {
			parts = append(parts, fmt.Sprintf("+%d", len(ordered)-2))
			break
		}
		parts = append(parts, shortArtifact(a))
	}
	return strings.Join(parts, ",")
}

func shortArtifact(a release.Artifact) string {
	if a.Type == release.ArtifactChart {
		return a.Name + "@" + shortDigest(a.Ref)
	}
	return shortDigest(a.Ref[strings.LastIndex(a.Ref, "/")+1:])
}

// shortDigest keeps 12 hex digits of a reference's digest.
func shortDigest(ref string) string {
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
