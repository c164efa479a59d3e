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
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// StatusOptions are the options of `status ENV`.
type StatusOptions struct {
	*GlobalOptions
	Watch    bool
	Interval time.Duration

	pipeline *pipeline.Pipeline
	env      *pipeline.Environment
	clients  *kube.Clients
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

// Complete loads the pipeline and the environment's cluster.
func (o *StatusOptions) Complete(args []string) error {
	var err error
	o.pipeline, o.env, o.clients, err = o.loadEnv(args[0])
	return err
}

// Validate checks the flags.
func (o *StatusOptions) Validate() error {
	switch o.Output {
	case "text", "json", "yaml":
	default:
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--output %q: status prints text, json or yaml", o.Output))
	}
	if o.Interval <= 0 {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--interval must be positive"))
	}
	return nil
}

// EnvStatus is what `status` reports.
type EnvStatus struct {
	Environment string           `json:"environment"`
	Namespace   string           `json:"namespace"`
	Strategy    string           `json:"strategy"`
	Current     *RevisionSummary `json:"current,omitempty"`
	Latest      *RevisionSummary `json:"latest,omitempty"`
	Health      string           `json:"health"`
	Objects     []ObjectHealth   `json:"objects,omitempty"`
	Lock        *LockStatus      `json:"lock,omitempty"`
	Rollout     *release.State   `json:"rollout,omitempty"`
	// Interrupted is set when a rollout state is left but no process
	// holds the lock: the one that drove it went away.
	Interrupted bool `json:"interrupted,omitempty"`
}

// RevisionSummary is one release record without its manifest.
type RevisionSummary struct {
	Revision  int       `json:"revision"`
	Status    string    `json:"status"`
	Artifacts []string  `json:"artifacts,omitempty"`
	Started   time.Time `json:"started"`
	Reason    string    `json:"reason,omitempty"`
}

// ObjectHealth is kstatus's view of one object of the current release.
type ObjectHealth = promote.ObjectHealth

// LockStatus names who holds the environment's lock.
type LockStatus struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// Run prints the status once, or on every change with --watch.
func (o *StatusOptions) Run(ctx context.Context) error {
	last := ""
	for {
		st, err := o.read(ctx)
		if err != nil {
			return err
		}
		text, err := o.format(st)
		if err != nil {
			return err
		}
		if text != last {
			if o.Watch && o.Output == "text" && last != "" {
				fmt.Fprintf(o.Out, "--- %s\n", time.Now().Format(time.TimeOnly))
			}
			fmt.Fprint(o.Out, text)
			last = text
		}
		if !o.Watch {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.Interval):
		}
	}
}

func (o *StatusOptions) read(ctx context.Context) (*EnvStatus, error) {
	ns := o.Namespace(o.env)
	store := release.NewStore(o.clients.Typed, ns, o.pipeline.Metadata.Name, o.env.Name)
	st := &EnvStatus{Environment: o.env.Name, Namespace: ns, Strategy: o.env.Strategy.Name(), Health: "unknown"}
	recs, err := store.List(ctx)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading release history of %s: %w", o.env.Name, err))
	}
	if len(recs) > 0 {
		st.Latest = summarize(recs[0])
	}
	for _, r := range recs {
		if r.Status == release.Succeeded {
			st.Current = summarize(r)
			st.Objects, st.Health = promote.Health(ctx, o.clients, rollout.LiveRefs(ctx, o.clients, o.env, r.Inventory))
			break
		}
	}
	if h, exp, err := release.CurrentHolder(ctx, o.clients.Typed, ns, o.pipeline.Metadata.Name, o.env.Name); err == nil && h != nil {
		st.Lock = &LockStatus{Holder: h.String()}
		if exp != nil {
			st.Lock.Expires = *exp
		}
	}
	if state, _, err := store.State(ctx); err == nil && state != nil {
		st.Rollout = state
		st.Interrupted = st.Lock == nil || !st.Lock.Expires.After(time.Now())
	}
	return st, nil
}

func summarize(r *release.Record) *RevisionSummary {
	s := &RevisionSummary{Revision: r.Revision, Status: string(r.Status), Started: r.Started, Reason: r.Reason}
	for _, a := range r.Artifacts {
		s.Artifacts = append(s.Artifacts, a.Ref)
	}
	return s
}

func (o *StatusOptions) format(st *EnvStatus) (string, error) {
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(st, "", "  ")
		return string(b) + "\n", err
	case "yaml":
		b, err := yaml.Marshal(st)
		return string(b), err
	}
	var b strings.Builder
	writeStatusText(&b, st)
	return b.String(), nil
}

func writeStatusText(w io.Writer, st *EnvStatus) {
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
	if st.Lock != nil {
		fmt.Fprintf(tw, "Lock:\theld by %s until %s\n", st.Lock.Holder, st.Lock.Expires.Format(time.RFC3339))
	} else {
		fmt.Fprintf(tw, "Lock:\tfree\n")
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
