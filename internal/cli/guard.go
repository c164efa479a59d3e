package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/guard"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// GuardOptions are the options of `guard [ENV…]`.
type GuardOptions struct {
	*GlobalOptions
	Interval       time.Duration
	LeaseDuration  time.Duration
	UntilIdle      bool
	InCluster      bool
	MetricsAddress string
	LogFormat      string
	LeaderElect    bool
	Election       guard.Election
	PrintManifests bool
	Image          string

	pipeline *pipeline.Pipeline
	envs     []promote.Request
	log      *slog.Logger
	// Notifier, when set, receives every event besides the log (the seam
	// for notifications).
	Notifier guard.Notifier
}

// NewCmdGuard returns `guard [ENV…]`.
func NewCmdGuard(g *GlobalOptions) *cobra.Command {
	o := &GuardOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "guard [ENV…]",
		Short: "Keep watching the newest releases after the deploying run exited; undo late failures",
		Long: "Watch each environment's newest successful release for its health.guard window (default 1h)\n" +
			"with the deploy's fail-fast rules, and undo it whole under the environment's lock when it fails,\n" +
			"recording it rolled-back by the guard. Without ENV, every environment is guarded. Runs with a\n" +
			"kubeconfig (CI, a laptop) or in a cluster (--print-manifests); replicas elect one leader.\n" +
			"See docs/guard.md.",
		ValidArgsFunction: CompleteEnvs(g, -1),
		RunE:              runE(o),
	}
	fl := cmd.Flags()
	fl.DurationVar(&o.Interval, "interval", guard.DefaultInterval, "how often release records and locks are read (failures are seen at once, by the watch)")
	fl.DurationVar(&o.LeaseDuration, "lock-lease", 30*time.Second, "lease duration of the environment lock the guard's undo takes")
	fl.BoolVar(&o.UntilIdle, "until-idle", false, "exit once no environment has a release left to guard (for a CI job after a deploy); the exit code says what happened")
	fl.BoolVar(&o.InCluster, "in-cluster", false, "ignore the environments' kubeconfig contexts: every environment is in the cluster the guard runs in")
	fl.StringVar(&o.MetricsAddress, "metrics-address", "", "serve /metrics, /healthz and /readyz on this address (e.g. :8080; port 0 picks one); off when empty")
	fl.StringVar(&o.LogFormat, "log-format", "text", "log format: text or json")
	fl.BoolVar(&o.LeaderElect, "leader-elect", true, "elect one leader among guard replicas (a Lease); the others stand by")
	fl.StringVar(&o.Election.Namespace, "leader-elect-namespace", "", "namespace of the leader Lease (default: the first guarded environment's)")
	fl.DurationVar(&o.Election.LeaseDuration, "leader-elect-lease", guard.DefaultElectionLease, "leader Lease duration: a killed leader is replaced within it")
	fl.DurationVar(&o.Election.RenewDeadline, "leader-elect-renew", guard.DefaultElectionRenew, "how long the leader keeps trying to renew before it stands down")
	fl.DurationVar(&o.Election.RetryPeriod, "leader-elect-retry", guard.DefaultElectionRetry, "how often candidates try to take the leader Lease")
	fl.BoolVar(&o.PrintManifests, "print-manifests", false, "print the Deployment, ServiceAccount, ConfigMap, Roles and RoleBindings that run the guard in a cluster, and exit")
	fl.StringVar(&o.Image, "image", "", "the kubectl-promote image, for --print-manifests")
	return cmd
}

// Complete loads the pipeline and builds the deploy request of each
// guarded environment.
func (o *GuardOptions) Complete(args []string) error {
	p, err := o.LoadPipeline()
	if err != nil {
		return badInput(err)
	}
	o.pipeline = p
	names := args
	if len(names) == 0 {
		for _, e := range p.Spec.Environments {
			names = append(names, e.Name)
		}
	}
	if err := o.oneTarget(names); err != nil {
		return err
	}
	for _, name := range names {
		if err := o.add(name); err != nil {
			return err
		}
	}
	o.log = newLogger(o.ErrOut, o.LogFormat)
	if o.LogFormat == "json" {
		// client-go's own lines (leader election, retries) as JSON too,
		// through the same redaction as every log.
		klog.SetLogger(diff.Known().Logger(logr.FromSlogHandler(o.log.Handler())))
	}
	return nil
}

// add resolves one environment; its clients only when the guard runs.
func (o *GuardOptions) add(name string) error {
	p, env, err := o.TargetEnv(name)
	if err != nil {
		return err
	}
	if o.InCluster {
		env.Cluster.Context = ""
	}
	req := promote.Request{
		Pipeline: p.Metadata.Name, Env: env, Namespace: env.Namespace,
		Health: p.Health(env), History: p.History(env),
		Lock: release.LockOptions{LeaseDuration: o.LeaseDuration},
	}
	if !o.PrintManifests {
		if req.Clients, err = o.ClientsFor(env); err != nil {
			return err
		}
	}
	o.envs = append(o.envs, req)
	return nil
}

// Validate checks the flags.
func (o *GuardOptions) Validate() error {
	switch {
	case o.LogFormat != "text" && o.LogFormat != "json":
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--log-format %q: use text or json", o.LogFormat))
	case o.PrintManifests && o.Image == "":
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--print-manifests needs --image (the kubectl-promote image to run; `make image` builds one)"))
	case o.Interval <= 0:
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--interval must be positive"))
	}
	if o.MetricsAddress != "" {
		if _, _, err := net.SplitHostPort(o.MetricsAddress); err != nil {
			return exitcode.With(exitcode.BadInput, fmt.Errorf("--metrics-address %q: %w (use host:port, e.g. :8080)", o.MetricsAddress, err))
		}
	}
	return nil
}

// Run prints the manifests, or guards until a signal (or, with
// --until-idle, until nothing is left to guard).
func (o *GuardOptions) Run(ctx context.Context) error {
	if o.PrintManifests {
		return o.printManifests()
	}
	metrics := guard.NewMetrics()
	srv := &guard.Server{Metrics: metrics}
	if err := o.serve(ctx, srv); err != nil {
		return err
	}
	webhooks, flush := o.openGuardNotify(ctx)
	defer flush()
	g := guard.New(guard.Options{
		Envs: o.envs, Holder: guardHolder(), Interval: o.Interval, UntilIdle: o.UntilIdle,
		Notifier: o.notifier(webhooks), Metrics: metrics,
	})
	srv.SetReady(true)
	if err := o.lead(ctx, metrics, g); err != nil {
		return err
	}
	if o.UntilIdle {
		return g.Summary().Err()
	}
	return nil
}

// lead runs g, in the leader only unless --leader-elect=false.
func (o *GuardOptions) lead(ctx context.Context, metrics *guard.Metrics, g *guard.Guard) error {
	if !o.LeaderElect {
		metrics.Leading(true)
		return ignoreCanceled(g.Run(ctx))
	}
	e := o.Election
	first := o.envs[0]
	e.Client, e.Name, e.Identity = first.Clients.Typed, guard.LeaseName(first.Pipeline), guardIdentity()
	if e.Namespace == "" {
		e.Namespace = first.Namespace
	}
	e.OnLeading = func(on bool) {
		metrics.Leading(on)
		if on {
			o.log.Info("leading: guarding", "lease", "Lease/"+e.Namespace+"/"+e.Name, "identity", e.Identity)
		} else {
			o.log.Info("no longer leading: standing by", "identity", e.Identity)
		}
	}
	o.log.Info("standing by until elected", "lease", "Lease/"+e.Namespace+"/"+e.Name, "identity", e.Identity)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return e.Lead(lctx, func(ctx context.Context) {
		if err := g.Run(ctx); err == nil && o.UntilIdle {
			// Idle: stop campaigning too.
			cancel()
		}
	})
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// serve starts the metrics server when --metrics-address is set.
func (o *GuardOptions) serve(ctx context.Context, srv *guard.Server) error {
	if o.MetricsAddress == "" {
		return nil
	}
	ln, err := net.Listen("tcp", o.MetricsAddress)
	if err != nil {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--metrics-address %s: %w", o.MetricsAddress, err))
	}
	o.log.Info("serving /metrics, /healthz and /readyz", "url", "http://"+ln.Addr().String())
	go func() {
		if err := srv.Serve(ctx, ln); err != nil {
			o.log.Error("metrics server stopped", "error", err)
		}
	}()
	return nil
}

func (o *GuardOptions) printManifests() error {
	data, err := os.ReadFile(o.pipeline.Path)
	if err != nil {
		return badInput(err)
	}
	var nss []string
	var args []string
	for _, r := range o.envs {
		nss = append(nss, r.Namespace)
		args = append(args, r.Env.Name)
	}
	out, err := guard.Manifests(guard.ManifestOptions{
		Image: o.Image, Pipeline: o.pipeline.Metadata.Name, PipelineFile: data,
		Namespace: orDefault(o.Election.Namespace, nss[0]), EnvNamespaces: nss, Args: append(args, "--in-cluster"),
	})
	if err != nil {
		return badInput(err)
	}
	_, err = o.Out.Write(out)
	return err
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// guardHolder names the guard in locks and in the records of its undos.
func guardHolder() release.Holder {
	h := release.DefaultHolder()
	h.Command = "kubectl-promote guard"
	return h
}

// guardIdentity is this replica's identity in the leader election: the
// host (the pod's name in a cluster) and a random suffix.
func guardIdentity() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s_%d_%s", host, os.Getpid(), hex.EncodeToString(b))
}

// notifier logs every event and passes it on to the environments'
// webhooks and to o.Notifier.
func (o *GuardOptions) notifier(webhooks guard.Notifier) guard.Notifier {
	log := guard.NotifierFunc(func(ctx context.Context, e guard.Event) {
		attrs := []any{"event", string(e.Kind), "environment", e.Environment, "namespace", e.Namespace}
		if e.Revision > 0 {
			attrs = append(attrs, "revision", e.Revision)
		}
		if e.Target > 0 {
			attrs = append(attrs, "target", e.Target)
		}
		if f := e.Failure; f != nil {
			attrs = append(attrs, "object", f.Object, "reason", f.Reason)
		}
		o.log.Log(ctx, eventLevel(e.Kind), diff.Known().String(e.Message), attrs...)
	})
	ns := guard.Notifiers{log, webhooks}
	if o.Notifier != nil {
		ns = append(ns, o.Notifier)
	}
	return ns
}

func eventLevel(k guard.Kind) slog.Level {
	switch k {
	case guard.Error, guard.UndoFailed, guard.NoUndo:
		return slog.LevelError
	case guard.Detected, guard.LeftAlone, guard.UndoStarted, guard.RolledBack:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// newLogger logs to w as text or JSON (log/slog).
func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
