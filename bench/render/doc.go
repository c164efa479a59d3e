// Command render benchmarks pkg/render beside the reference tools on the
// same inputs in the same run: every environment of the examples, a
// generated Kustomize overlay and a generated Helm chart (1,000 resources
// each by default). Ours is timed in-process (render + YAML encoding) and,
// when bin/kubectl-promote has a render command, as that binary; the
// references are `kubectl kustomize DIR` and `helm template`. Each contender
// runs several times and the median is reported, with the ratios ours ÷
// theirs and the peak memory (max RSS) of a process doing one render.
//
// Run it with `make bench-render`; BENCH_RENDER_FLAGS passes flags, e.g.
// "-runs 3 -resources 2000".
package main
