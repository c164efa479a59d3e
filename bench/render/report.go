package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

func loadPipeline(file string) (*pipeline.Pipeline, error) { return pipeline.Load(file) }

// report prints one row per case: medians (wall and CPU), ratios ours ÷
// theirs (target ≤ 1.0) and peak memory.
func report(w io.Writer, cfg config, c *contenders, results []result) {
	fmt.Fprintf(w, "\nrender benchmark: median of %d runs; reference = kubectl kustomize (%s) / helm template (%s)\n",
		cfg.runs, c.kubectl, c.helm)
	if c.binary == "" {
		fmt.Fprintf(w, "CLI columns skipped: %s\n", c.cliNote)
	}
	if c.gnuTime == "" {
		fmt.Fprintln(w, "peak RSS not measured: needs GNU time at /usr/bin/time")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tobjects\tours\tours CLI\treference\tratio\tratio CLI\tours CPU\tCLI CPU\tref CPU\tCPU ratio\tCLI CPU ratio\tours peak RSS\tCLI peak RSS\tref peak RSS\tours alloc\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f MiB\t\n",
			r.name, r.objects,
			ms(r.inProcess.wall), ms(r.cli.wall), ms(r.reference.wall),
			ratio(r.inProcess.wall, r.reference.wall), ratio(r.cli.wall, r.reference.wall),
			ms(r.inProcess.cpu), ms(r.cli.cpu), ms(r.reference.cpu),
			ratio(r.inProcess.cpu, r.reference.cpu), ratio(r.cli.cpu, r.reference.cpu),
			mib(r.inProcess.maxRSS), mib(r.cli.maxRSS), mib(r.reference.maxRSS), r.allocMiB)
	}
	tw.Flush()
	fmt.Fprintln(w, `ours = pkg/render in-process (render + YAML encoding), ours CLI = bin/kubectl-promote render, reference = kubectl kustomize / helm template.
ratio = ours ÷ reference wall time (target ≤ 1.00); CPU = user+system time, steadier than wall time on a shared machine.
peak RSS = max resident set of one process rendering one environment (ours: this program's render-once mode).`)
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
}

func ratio(ours, theirs time.Duration) string {
	if ours == 0 || theirs == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(ours)/float64(theirs))
}

func mib(kib int64) string {
	if kib == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f MiB", float64(kib)/1024)
}
