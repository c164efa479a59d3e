package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// StatusOptions are the options of `status ENV`.
type StatusOptions struct {
	*GlobalOptions
	Watch    bool
	Interval time.Duration

	target promote.Target
}

// NewCmdStatus returns `status ENV [--watch]`.
func NewCmdStatus(g *GlobalOptions) *cobra.Command {
	o := &StatusOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:               "status ENV",
		Short:             "Show an environment's revision, rollout step, health and lock holder",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
	cmd.Flags().BoolVarP(&o.Watch, "watch", "w", false, "keep printing the status when it changes (nothing watches the environment once the CLI exits)")
	cmd.Flags().DurationVar(&o.Interval, "interval", 2*time.Second, "how often --watch reads the cluster")
	return cmd
}

// Complete resolves ENV to its pipeline, placement and cluster.
func (o *StatusOptions) Complete(args []string) error {
	var err error
	o.target, err = o.Target(args[0])
	return err
}

// Validate checks the flags.
func (o *StatusOptions) Validate() error {
	if err := checkOutput(o.Output, OutputText, OutputJSON, OutputYAML); err != nil {
		return err
	}
	if o.Interval <= 0 {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--interval must be positive"))
	}
	return nil
}

// Run prints the status once, or on every change with --watch. Parts that
// could not be read are shown and make the exit code 3; --watch goes on.
func (o *StatusOptions) Run(ctx context.Context) error {
	last := ""
	for {
		st, readErr := promote.Status(ctx, o.target, promote.StatusOptions{})
		if st == nil {
			return readErr
		}
		text, err := o.format(st)
		if err != nil {
			return err
		}
		if text != last {
			if o.Watch && o.Output == OutputText && last != "" {
				fmt.Fprintf(o.Out, "--- %s\n", time.Now().Format(time.TimeOnly))
			}
			fmt.Fprint(o.Out, text)
			last = text
		}
		if !o.Watch {
			return o.shown(readErr)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.Interval):
		}
	}
}

// shown marks a read error as printed when the text output listed it.
func (o *StatusOptions) shown(err error) error {
	if o.Output == OutputText {
		return Reported(err)
	}
	return err
}

func (o *StatusOptions) format(st *promote.EnvStatus) (string, error) {
	switch o.Output {
	case OutputJSON:
		b, err := json.MarshalIndent(st, "", "  ")
		return string(b) + "\n", err
	case OutputYAML:
		b, err := yaml.Marshal(st)
		return string(b), err
	}
	var b strings.Builder
	writeStatusText(&b, st)
	return b.String(), nil
}

func writeStatusText(w io.Writer, st *promote.EnvStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Environment:\t%s (namespace %s, strategy %s)\n", st.Environment, st.Namespace, st.Strategy)
	if st.Current != nil {
		fmt.Fprintf(tw, "Current:\trevision %d %s, %s\n", st.Current.Revision, st.Current.Status, strings.Join(st.Current.Artifacts, ", "))
	} else {
		fmt.Fprintf(tw, "Current:\tno successful release yet\n")
	}
	if st.Latest != nil && (st.Current == nil || st.Latest.Revision != st.Current.Revision) {
		fmt.Fprintf(tw, "Latest:\trevision %d %s\t%s\n", st.Latest.Revision, st.Latest.Status, st.Latest.Reason)
	}
	if h := st.TakenOverFrom; h != nil {
		fmt.Fprintf(tw, "Taken over:\tfrom %s\n", h)
	}
	fmt.Fprintf(tw, "Health:\t%s\n", st.Health)
	for _, h := range st.Objects {
		if h.Status != "Current" {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", h.Object, h.Status, h.Message)
		}
	}
	if r := st.Rollout; r != nil {
		label := "Rollout:"
		for _, line := range rolloutLines(st.Environment, r, st.Interrupted) {
			fmt.Fprintf(tw, "%s\t%s\n", label, line)
			label = ""
		}
	}
	switch {
	case st.Lock != nil && st.Lock.Gone:
		fmt.Fprintf(tw, "Lock:\theld by %s until %s, but that process is gone from this host: "+
			"the next run takes the lock over once it expires (or `kubectl promote unlock %s --force`)\n",
			st.Lock.Holder, st.Lock.Expires.Format(time.RFC3339), st.Environment)
	case st.Lock != nil:
		fmt.Fprintf(tw, "Lock:\theld by %s until %s\n", st.Lock.Holder, st.Lock.Expires.Format(time.RFC3339))
	case len(st.Problems) == 0:
		fmt.Fprintf(tw, "Lock:\tfree\n")
	}
	for _, p := range st.Problems {
		fmt.Fprintf(tw, "Error:\t%s\n", p)
	}
	tw.Flush()
}

// rolloutLines explain a canary or blue-green rollout in progress: where it
// stands, how traffic is split, why it waits, and what to do when the
// process driving it went away.
func rolloutLines(env string, r *release.State, interrupted bool) []string {
	at := fmt.Sprintf("%s, step %d/%d", r.Strategy, r.Step, r.Steps)
	if r.Phase != "" {
		at += ": " + r.Phase
	}
	if r.Message != "" {
		at += " (" + r.Message + ")"
	}
	lines := []string{at}
	rev := fmt.Sprintf("revision %d", r.CanaryRevision)
	if r.StableRevision > 0 {
		rev += fmt.Sprintf(" replacing revision %d", r.StableRevision)
	}
	if w := weightsText(r.Weights); w != "" {
		rev += "; traffic: " + w
	}
	lines = append(lines, rev)
	if r.Paused {
		p := "paused: " + r.PauseReason
		if !r.PauseStarted.IsZero() {
			p += ", since " + r.PauseStarted.Local().Format(time.TimeOnly)
		}
		lines = append(lines, p)
	}
	if req := r.Request; req != nil {
		lines = append(lines, fmt.Sprintf("%s requested by %s, not yet acted on", req.Kind, req.By))
	}
	if interrupted {
		lines = append(lines, fmt.Sprintf("interrupted: no process is driving this rollout any more (the lock is free or expired); "+
			"`kubectl promote resume %s` finishes it from this step, `kubectl promote abort %s` goes back", env, env))
	}
	return lines
}

// weightsText reads like "stable 80%, canary 20%", largest share first.
func weightsText(w map[string]int) string {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if w[keys[i]] != w[keys[j]] {
			return w[keys[i]] > w[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d%%", k, w[k])
	}
	return strings.Join(parts, ", ")
}
