package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/kubectl-promote/kubectl-promote/bench/internal/benchkit"
)

// target is the ratio to kubectl that apply must meet.
const targetRatio = 0.25

// report prints each contender's median and its ratio to kubectl, the
// phases of the in-process deploy, and the target.
func report(out io.Writer, cfg config, results []result) {
	kubectl := results[rowKubectl]
	fmt.Fprintf(out, "\napply of %d new objects (a quarter each ConfigMap, Secret, headless Service, 1-replica Deployment), %d timed run(s) each, median:\n\n",
		cfg.objects, cfg.runs)
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTENDER\tTIME\t÷ KUBECTL")
	for _, r := range results {
		if r.skipped != "" {
			fmt.Fprintf(tw, "%s\tskipped: %s\t\n", r.name, r.skipped)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f×\n", r.name, r.median().Round(10*time.Millisecond), ratio(r, kubectl))
	}
	tw.Flush()
	if ph := results[rowInProcess].phases; len(ph) > 1 {
		fmt.Fprintf(out, "\nin-process phases (median run):")
		for i := 0; i+1 < len(ph); i++ {
			fmt.Fprintf(out, " %s %s;", ph[i].name, (ph[i+1].at - ph[i].at).Round(10*time.Millisecond))
		}
		fmt.Fprintln(out)
	}
	for _, row := range []int{rowInProcess, rowBinary} {
		if r := results[row]; r.skipped == "" {
			fmt.Fprintf(out, "target ≤ %.2f× kubectl, %s: %.2f× %s\n", targetRatio, r.name, ratio(r, kubectl), benchkit.Verdict(ratio(r, kubectl) <= targetRatio))
		}
	}
}

func ratio(a, b result) float64 {
	return a.median().Seconds() / b.median().Seconds()
}
