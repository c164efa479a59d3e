// Command diff benchmarks `kubectl promote diff` beside `kubectl diff
// --server-side` on one local cluster, in one run, on the same files.
//
// It starts a local cluster (or uses -kubeconfig), applies N objects
// (ConfigMaps, Services and Deployments) as kubectl-promote would, changes
// a tenth of them in the desired files, then times, each -runs times:
//
//   - pkg/diff in process, at -concurrency, as it runs and with
//     AlwaysDryRun (a dry-run for every object, as kubectl does);
//   - the bin/kubectl-promote diff binary, when it exists (render included);
//   - kubectl diff --server-side -f DIR at kubectl's default concurrency (1)
//     and at -concurrency.
//
// It prints the median of each, its ratio to kubectl, and the requests per
// object (counted with a rest.Config transport wrapper in process, and
// from -v=6 request logs for the binaries, in separate untimed runs).
// Run it with `make bench-diff`.
package main
