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
}

func main() {
	cfg := config{}
	flag.IntVar(&cfg.objects, "objects", 1000, "objects to diff (40% ConfigMaps, 30% Services, 30% Deployments)")
	flag.IntVar(&cfg.concurrency, "concurrency", 8, "our concurrency, and kubectl's in the equal-concurrency run")
	flag.IntVar(&cfg.runs, "runs", 3, "timed runs of each contender; the median is reported")
	flag.StringVar(&cfg.kubeconfig, "kubeconfig", "", "use this cluster instead of starting a local one")
	flag.StringVar(&cfg.binary, "binary", "bin/kubectl-promote", "kubectl-promote binary (skipped when missing)")
	flag.StringVar(&cfg.kubectl, "kubectl", "kubectl", "kubectl binary")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory")
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
	if err != nil {
		return err
	}
	defer w.cleanup()
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
