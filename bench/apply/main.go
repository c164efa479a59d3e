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

// target is the cluster the benchmark runs on.
type target struct {
	rest       *rest.Config
	kubeconfig string
}

func run(ctx context.Context, cfg config) error {
	if cfg.objects < 4 || cfg.runs < 1 || cfg.concurrency < 0 {
		return fmt.Errorf("-objects must be at least 4, -runs at least 1, -concurrency not negative")
	}
	tgt, stopCluster, err := cluster(ctx, cfg)
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

// cluster starts a local cluster, or loads -kubeconfig.
func cluster(ctx context.Context, cfg config) (target, func(), error) {
	if cfg.kubeconfig != "" {
		rc, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
		return target{rest: rc, kubeconfig: cfg.kubeconfig}, func() {}, err
	}
	dir, err := os.MkdirTemp("", "bench-apply-cluster-")
	if err != nil {
		return target{}, nil, err
	}
	start := time.Now()
	c, err := localcluster.Up(ctx, localcluster.Options{Name: "bench-apply", Nodes: cfg.nodes, Dir: filepath.Join(dir, "state")})
	if err != nil {
		return target{}, nil, err
	}
	fmt.Fprintf(os.Stderr, "bench-apply: local cluster up in %s\n", time.Since(start).Round(time.Second))
	stop := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := c.Stop(sctx); err != nil {
			fmt.Fprintf(os.Stderr, "bench-apply: stop cluster: %v\n", err)
		}
		os.RemoveAll(dir)
	}
	return target{rest: c.RESTConfig(), kubeconfig: c.Kubeconfig}, stop, nil
}
