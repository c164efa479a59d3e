package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
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

// target is the cluster the benchmark runs on.
type target struct {
	rest       *rest.Config
	kubeconfig string
}

func run(ctx context.Context, cfg config) error {
	if cfg.objects < 10 || cfg.runs < 1 || cfg.concurrency < 1 {
		return fmt.Errorf("-objects must be at least 10, -runs and -concurrency at least 1")
	}
	tgt, stopCluster, err := cluster(ctx, cfg.kubeconfig)
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

// cluster starts a local cluster, or loads -kubeconfig.
func cluster(ctx context.Context, kubeconfig string) (target, func(), error) {
	if kubeconfig != "" {
		rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		return target{rest: rc, kubeconfig: kubeconfig}, func() {}, err
	}
	dir, err := os.MkdirTemp("", "bench-diff-cluster-")
	if err != nil {
		return target{}, nil, err
	}
	start := time.Now()
	c, err := localcluster.Up(ctx, localcluster.Options{Name: "bench-diff", Dir: filepath.Join(dir, "state")})
	if err != nil {
		return target{}, nil, err
	}
	fmt.Fprintf(os.Stderr, "bench-diff: local cluster up in %s\n", time.Since(start).Round(time.Second))
	stop := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := c.Stop(sctx); err != nil {
			fmt.Fprintf(os.Stderr, "bench-diff: stop cluster: %v\n", err)
		}
		os.RemoveAll(dir)
	}
	return target{rest: c.RESTConfig(), kubeconfig: c.Kubeconfig}, stop, nil
}
