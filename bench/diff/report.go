package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/kubectl-promote/kubectl-promote/bench/internal/benchkit"
)

// report prints each contender's median, its ratio to kubectl at default
// and at equal concurrency, requests per object, and the targets.
func report(out io.Writer, cfg config, w *workload, results []result) {
	ours, kDefault, kEqual := results[rowOurs], results[rowKubectl], results[rowKubectlSameCc]
	fmt.Fprintf(out, "\ndiff of %d objects (%d changed), %d timed runs each, median:\n\n", len(w.desired), w.changed, cfg.runs)
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTENDER\tTIME\t÷ KUBECTL DEFAULT\t÷ KUBECTL SAME CONCURRENCY\tREQUESTS/OBJECT\tCHANGED FOUND")
	for _, r := range results {
		if r.skipped != "" {
			fmt.Fprintf(tw, "%s\tskipped: %s\t\t\t\t\n", r.name, r.skipped)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f×\t%.2f×\t%.2f\t%d\n", r.name, r.median().Round(10*time.Millisecond),
			ratio(r, kDefault), ratio(r, kEqual), float64(r.requests)/float64(len(w.desired)), r.changed)
	}
	tw.Flush()
	fmt.Fprintf(out, "\ntarget ≤ 0.50× kubectl at its default:          %.2f× %s\n", ratio(ours, kDefault), benchkit.Verdict(ratio(ours, kDefault) <= 0.5))
	fmt.Fprintf(out, "target ≤ 1.00× kubectl at the same concurrency: %.2f× %s\n", ratio(ours, kEqual), benchkit.Verdict(ratio(ours, kEqual) <= 1.0))
	fmt.Fprintln(out, "(requests/object: resource requests, discovery and OpenAPI excluded; for the binaries from an untimed -v=6 run)")
}

func ratio(a, b result) float64 {
	return a.median().Seconds() / b.median().Seconds()
}
