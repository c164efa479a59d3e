package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"
)

// report prints every run, then p50 and max side by side with kubectl.
func report(out io.Writer, cfg config, samples []sample) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\treason\tapply→1st failing status\t1st failing status→Watch returned\tObserved→returned\tapply→Watch returned\tapply→kubectl exited\tkubectl/watch\t")
	for i, s := range samples {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.1fx\t\n", i+1, s.reason, ms(s.applyToStatus), ms(s.statusToReturn),
			ms(s.observedToRet), ms(s.applyToReturn), ms(s.kubectl), ratio(s.kubectl, s.applyToReturn))
	}
	tw.Flush()
	col := func(f func(sample) time.Duration) []time.Duration {
		var ds []time.Duration
		for _, s := range samples {
			ds = append(ds, f(s))
		}
		return ds
	}
	ours := col(func(s sample) time.Duration { return s.applyToReturn })
	kc := col(func(s sample) time.Duration { return s.kubectl })
	detect := col(func(s sample) time.Duration { return s.statusToReturn })
	fmt.Fprintln(out, "(a negative 1st failing status→returned: this program's own pod watch got the status after Watch had already returned)")
	fmt.Fprintf(out, "\nkubectl rollout status reports only at the progress deadline (progressDeadlineSeconds %d); last output: %s\n",
		cfg.progressDeadline, samples[len(samples)-1].kubectlOut)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tp50\tmax\t")
	fmt.Fprintf(tw, "first failing pod status → Watch returned *Failure\t%s\t%s\t\n", ms(pct(detect, 50)), ms(pct(detect, 100)))
	fmt.Fprintf(tw, "update applied → Watch returned *Failure\t%s\t%s\t\n", ms(pct(ours, 50)), ms(pct(ours, 100)))
	fmt.Fprintf(tw, "update applied → kubectl rollout status exited\t%s\t%s\t\n", ms(pct(kc, 50)), ms(pct(kc, 100)))
	fmt.Fprintf(tw, "ratio kubectl / watch (apply → report)\t%.1fx\t\t\n", ratio(pct(kc, 50), pct(ours, 50)))
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

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
