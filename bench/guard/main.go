package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/bench/internal/benchkit"
	"github.com/kubectl-promote/kubectl-promote/pkg/guard"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

type config struct {
	runs       int
	crashAfter time.Duration
	kubeconfig string
	namespace  string
}

func main() {
	var cfg config
	flag.IntVar(&cfg.runs, "runs", 10, "number of late failures to measure")
	flag.DurationVar(&cfg.crashAfter, "crash-after", 3*time.Second, "how long after Ready the bad release's pods crash")
	flag.StringVar(&cfg.kubeconfig, "kubeconfig", "", "use this cluster instead of starting a local one")
	flag.Parse()
	cfg.namespace = fmt.Sprintf("bench-guard-%d", time.Now().Unix())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-guard:", err)
		os.Exit(1)
	}
}

// sample is one late failure, measured from its detection.
type sample struct {
	reason                       string
	undoStarted, applied, undone time.Duration
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	tgt, stopCluster, err := benchkit.Cluster(ctx, "bench-guard", cfg.kubeconfig, 0)
	if err != nil {
		return err
	}
	defer stopCluster()
	clients, err := kube.NewForConfig(tgt.Rest)
	if err != nil {
		return err
	}
	if err := namespace(ctx, clients, cfg.namespace); err != nil {
		return err
	}
	req := request(cfg, clients)
	if err := deploy(ctx, req, "1.0.0", nil); err != nil {
		return fmt.Errorf("good release: %w", err)
	}
	events := make(chan guard.Event, 256)
	gctx, stopGuard := context.WithCancel(ctx)
	defer stopGuard()
	g := guard.New(guard.Options{
		Envs: []promote.Request{req}, Holder: release.Holder{User: "bench-guard"}, Interval: 200 * time.Millisecond,
		Notifier: guard.NotifierFunc(func(_ context.Context, e guard.Event) { events <- e }),
	})
	go func() { _ = g.Run(gctx) }()
	samples := make([]sample, 0, cfg.runs)
	for i := range cfg.runs {
		s, err := measure(ctx, cfg, req, events, i)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Fprintf(os.Stderr, "run %d: %s; undo started %s after detection\n", i+1, s.reason, s.undoStarted.Round(time.Millisecond))
		samples = append(samples, s)
	}
	report(out, cfg, samples)
	return nil
}

// measure deploys one late-failing release and follows the guard's events
// until it is rolled back.
func measure(ctx context.Context, cfg config, req promote.Request, events <-chan guard.Event, i int) (sample, error) {
	annotations := map[string]any{"promote.test/crash-after": cfg.crashAfter.String()}
	if err := deploy(ctx, req, fmt.Sprintf("2.0.%d-late-crash", i), annotations); err != nil {
		return sample{}, fmt.Errorf("late-crash release: %w", err)
	}
	var s sample
	var detected time.Time
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-timeout:
			return s, fmt.Errorf("no undo within 2m")
		case e := <-events:
			switch {
			case e.Kind == guard.Detected:
				detected, s.reason = e.Failure.Detected, e.Failure.Reason
			case e.Kind == guard.UndoStarted:
				s.undoStarted = e.Time.Sub(detected)
			case e.Kind == guard.Progress && strings.HasPrefix(e.Message, "apply:") && s.applied == 0:
				s.applied = e.Time.Sub(detected)
			case e.Kind == guard.RolledBack:
				s.undone = e.Time.Sub(detected)
				return s, nil
			case e.Kind == guard.UndoFailed || e.Kind == guard.NoUndo || e.Kind == guard.Error:
				return s, fmt.Errorf("guard: %s: %s", e.Kind, e.Message)
			}
		}
	}
}

func request(cfg config, clients *kube.Clients) promote.Request {
	window := pipeline.Duration(time.Hour)
	return promote.Request{
		Pipeline: "bench", Env: &pipeline.Environment{Name: "prod", Namespace: cfg.namespace}, Namespace: cfg.namespace, Clients: clients,
		Health: pipeline.Health{
			Timeout: pipeline.Duration(2 * time.Minute), UndoTimeout: pipeline.Duration(2 * time.Minute), Verify: pipeline.Duration(time.Millisecond),
			RestartLimit: 2, UnschedulableGrace: pipeline.Duration(time.Minute), Guard: &window,
		},
		// WaitFor: the next bad release waits for the guard to release the
		// lock after its undo.
		History: 10, Holder: release.Holder{User: "bench-guard"}, Lock: release.LockOptions{LeaseDuration: 5 * time.Second, WaitFor: 30 * time.Second},
	}
}

// deploy deploys the Deployment web with image tag and pod annotations.
func deploy(ctx context.Context, req promote.Request, tag string, annotations map[string]any) error {
	req.Objects = []*unstructured.Unstructured{webDeployment(req.Namespace, tag, annotations)}
	_, err := promote.Deploy(ctx, req)
	return err
}

func webDeployment(ns, tag string, annotations map[string]any) *unstructured.Unstructured {
	u := benchkit.Parse(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %s}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "registry.example.com/web:%s"}]
`, ns, tag))
	if annotations != nil {
		_ = unstructured.SetNestedMap(u.Object, annotations, "spec", "template", "metadata", "annotations")
	}
	return u
}

// namespace creates ns and waits for its default ServiceAccount.
func namespace(ctx context.Context, clients *kube.Clients, ns string) error {
	if _, err := clients.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if _, err := clients.Typed.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("ServiceAccount/%s/default: not created within a minute", ns)
}

func report(out io.Writer, cfg config, samples []sample) {
	col := func(f func(sample) time.Duration) []time.Duration {
		ds := make([]time.Duration, len(samples))
		for i, s := range samples {
			ds[i] = f(s)
		}
		return ds
	}
	started := col(func(s sample) time.Duration { return s.undoStarted })
	fmt.Fprintf(out, "guard: %d late failures (pods crash %s after Ready), medians from detection:\n", len(samples), cfg.crashAfter)
	fmt.Fprintf(out, "  undo started   %8s   (target p50 ≤ 1s: %s)\n", benchkit.Median(started).Round(time.Millisecond), benchkit.Verdict(benchkit.Median(started) <= time.Second))
	fmt.Fprintf(out, "  first apply    %8s\n", benchkit.Median(col(func(s sample) time.Duration { return s.applied })).Round(time.Millisecond))
	fmt.Fprintf(out, "  rolled back    %8s\n", benchkit.Median(col(func(s sample) time.Duration { return s.undone })).Round(time.Millisecond))
	reasons := map[string]int{}
	for _, s := range samples {
		reasons[s.reason]++
	}
	fmt.Fprintf(out, "  reasons        %v\n", reasons)
}
