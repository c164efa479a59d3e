package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubectl-promote/kubectl-promote/bench/internal/benchkit"
)

// config is the benchmark's flags.
type config struct {
	objects     int
	runs        int
	concurrency int
	nodes       int
	kubeconfig  string
	binary      string
	kubectl     string
	verbose     bool
}

func main() {
	cfg := config{}
	flag.IntVar(&cfg.objects, "objects", 1000, "objects per release: a quarter each ConfigMaps, Secrets, headless Services, Deployments")
	flag.IntVar(&cfg.runs, "runs", 1, "timed runs of each contender; the median is reported")
	flag.IntVar(&cfg.concurrency, "concurrency", 0, "our apply and dry-run concurrency (0: the default)")
	flag.IntVar(&cfg.nodes, "nodes", 10, "fake nodes of the local cluster (110 pods each)")
	flag.StringVar(&cfg.kubeconfig, "kubeconfig", "", "use this cluster instead of starting a local one")
	flag.StringVar(&cfg.binary, "binary", "bin/kubectl-promote", "kubectl-promote binary (skipped when missing)")
	flag.StringVar(&cfg.kubectl, "kubectl", "kubectl", "kubectl binary")
	flag.BoolVar(&cfg.verbose, "v", false, "print the in-process deploy's progress")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-apply: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	if cfg.objects < 4 || cfg.runs < 1 || cfg.concurrency < 0 {
		return fmt.Errorf("-objects must be at least 4, -runs at least 1, -concurrency not negative")
	}
	tgt, stopCluster, err := benchkit.Cluster(ctx, "bench-apply", cfg.kubeconfig, cfg.nodes)
	if err != nil {
		return err
	}
	defer stopCluster()
	dir, err := os.MkdirTemp("", "bench-apply-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	w := &workload{dir: dir, n: cfg.objects}
	if err := w.write(); err != nil {
		return err
	}
	results, err := measureAll(ctx, tgt, cfg, w)
	if err != nil {
		return err
	}
	report(os.Stdout, cfg, results)
	return nil
}

// target is the cluster the benchmark runs against.
type target = benchkit.Target
