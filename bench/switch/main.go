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

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

type config struct {
	runs      int
	scenarios []string
	replicas  int
}

func main() {
	var cfg config
	var scenarios string
	flag.IntVar(&cfg.runs, "runs", 3, "runs per scenario")
	flag.StringVar(&scenarios, "scenarios", "ratio,nginx,gateway,bluegreen", "scenarios to measure")
	flag.IntVar(&cfg.replicas, "replicas", 4, "replicas of the application")
	verbose := flag.Bool("v", false, "print the deploys' progress")
	flag.Parse()
	if *verbose {
		events = func(e promote.Event) {
			fmt.Fprintf(os.Stderr, "%s %s: %s\n", e.Time.Format("15:04:05.000"), e.Phase, e.Message)
		}
	}
	cfg.scenarios = strings.Split(scenarios, ",")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-switch:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	for _, s := range cfg.scenarios {
		if _, ok := scenarios[s]; !ok {
			return fmt.Errorf("unknown scenario %q", s)
		}
	}
	c, err := localcluster.Up(ctx, localcluster.Options{Name: "bench-switch", Progress: os.Stderr})
	if err != nil {
		return err
	}
	defer func() {
		if err := c.Stop(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintln(os.Stderr, "bench-switch: stop cluster:", err)
		}
	}()
	clients, err := kube.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	if err := installGatewayAPI(ctx, clients); err != nil {
		return err
	}
	fmt.Fprintf(out, "local cluster up in %s; %d runs per scenario, %d replicas\n", c.BootTime.Round(time.Millisecond), cfg.runs, cfg.replicas)
	var results []result
	for _, name := range cfg.scenarios {
		for i := range cfg.runs {
			r, err := measure(ctx, clients, cfg, name, i+1)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", name, i+1, err)
			}
			fmt.Fprintf(os.Stderr, "%s run %d: %s: traffic back %s after detection\n", name, i+1, r.reason, ms(r.toTraffic))
			results = append(results, r)
		}
	}
	report(out, cfg, results)
	return nil
}
