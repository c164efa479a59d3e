package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"
)

// target is the goal for detection → traffic back on stable.
const target = time.Second

// report prints every run, then p50 and max per scenario against the target.
func report(out io.Writer, cfg config, results []result) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\trun\treason\tdetected→traffic back\tdetected→undo done\ttraffic back seen as\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", r.scenario, r.run, r.reason, ms(r.toTraffic), ms(r.toDone), r.what)
	}
	tw.Flush()
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "detected → traffic back on stable\tp50\tmax\ttarget %s\t\n", target)
	for _, s := range cfg.scenarios {
		var ds []time.Duration
		for _, r := range results {
			if r.scenario == s {
				ds = append(ds, r.toTraffic)
			}
		}
		verdict := "met"
		if pct(ds, 100) >= target {
			verdict = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", s, ms(pct(ds, 50)), ms(pct(ds, 100)), verdict)
	}
	tw.Flush()
}

// pct is the p-th percentile by nearest rank.
func pct(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	k := (p*len(s) + 99) / 100
	return s[max(k, 1)-1]
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
