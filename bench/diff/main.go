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
	concurrency int
	runs        int
	kubeconfig  string
	binary      string
	kubectl     string
	keep        bool
	cpuprofile  string
}

func main() {
	cfg := config{}
	flag.IntVar(&cfg.objects, "objects", 1000, "objects to diff (40% ConfigMaps, 30% Services, 30% Deployments)")
	flag.IntVar(&cfg.concurrency, "concurrency", 8, "our concurrency, and kubectl's in the equal-concurrency run")
	flag.IntVar(&cfg.runs, "runs", 3, "timed runs of each contender; the median is reported")
	flag.StringVar(&cfg.kubeconfig, "kubeconfig", "", "use this cluster instead of starting a local one")
	flag.StringVar(&cfg.binary, "binary", "bin/kubectl-promote", "kubectl-promote binary (skipped when missing)")
	flag.StringVar(&cfg.kubectl, "kubectl", "kubectl", "kubectl binary")
	flag.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of the in-process diffs to this file")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory and the namespace (with -kubeconfig)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-diff: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	if cfg.objects < 10 || cfg.runs < 1 || cfg.concurrency < 1 {
		return fmt.Errorf("-objects must be at least 10, -runs and -concurrency at least 1")
	}
	tgt, stopCluster, err := benchkit.Cluster(ctx, "bench-diff", cfg.kubeconfig, 0)
	if err != nil {
		return err
	}
	defer stopCluster()
	dir, err := os.MkdirTemp("", "bench-diff-")
	if err != nil {
		return err
	}
	if !cfg.keep {
		defer os.RemoveAll(dir)
	}
	w, err := prepare(ctx, tgt, cfg, dir)
	if w != nil && !cfg.keep {
		defer w.cleanup()
	}
	if w != nil && cfg.keep {
		fmt.Fprintf(os.Stderr, "bench-diff: keeping %s and namespace %s\n", dir, w.ns)
	}
	if err != nil {
		return err
	}
	results, err := measureAll(ctx, tgt, cfg, w)
	if err != nil {
		return err
	}
	report(os.Stdout, cfg, w, results)
	return nil
}

// target is the cluster the benchmark runs against.
type target = benchkit.Target
