package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"
)

// config is the benchmark's flags.
type config struct {
	runs      int
	resources int
	helm      string
	kubectl   string
	binary    string
	examples  string
	keep      bool
	only      string
	// child, when set, renders one environment of a pipeline file once and
	// exits: the parent reads the child's max RSS as our peak memory.
	child string
}

func main() {
	cfg := config{}
	flag.IntVar(&cfg.runs, "runs", 5, "timed runs of each contender; the median is reported")
	flag.IntVar(&cfg.resources, "resources", 1000, "resources in the generated overlay and chart")
	flag.StringVar(&cfg.helm, "helm", ".cache/tools/bin/helm", "reference helm CLI (make tools-helm)")
	flag.StringVar(&cfg.kubectl, "kubectl", "kubectl", "reference kubectl (its kustomize)")
	flag.StringVar(&cfg.binary, "binary", "bin/kubectl-promote", "kubectl-promote binary (skipped when missing or without render)")
	flag.StringVar(&cfg.examples, "examples", "examples", "directory of the examples")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the generated inputs")
	flag.StringVar(&cfg.only, "only", "", "measure only the cases whose name matches this regular expression")
	flag.StringVar(&cfg.child, "child", "", "internal: FILE:ENV to render once")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if cfg.child != "" {
		err = renderOnce(ctx, cfg.child)
	} else {
		err = run(ctx, cfg)
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-render: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	dir, err := os.MkdirTemp("", "bench-render-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Fprintf(os.Stderr, "inputs kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	cases, err := prepare(cfg, dir)
	if err != nil {
		return err
	}
	c, err := newContenders(ctx, cfg)
	if err != nil {
		return err
	}
	defer os.RemoveAll(c.home)
	only, err := regexp.Compile(cfg.only)
	if err != nil {
		return fmt.Errorf("-only: %w", err)
	}
	var results []result
	for _, bc := range cases {
		if !only.MatchString(bc.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "measuring %s…\n", bc.name)
		r, err := c.measure(ctx, bc)
		if err != nil {
			return fmt.Errorf("%s: %w", bc.name, err)
		}
		results = append(results, r)
	}
	report(os.Stdout, cfg, c, results)
	return nil
}
