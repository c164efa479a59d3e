// Command apply benchmarks `kubectl promote apply` of a release of new
// objects beside `kubectl apply --server-side` followed by `kubectl wait`,
// on one local cluster, in one run, on the same files.
//
// It starts a local cluster with enough fake nodes for the pods (or uses
// -kubeconfig) and writes -objects objects, a quarter each ConfigMaps,
// Secrets, headless Services (the local cluster's service range is a /24:
// 254 ClusterIPs would not hold them) and one-replica Deployments that
// read the ConfigMap and the Secret. Each run of each contender goes into
// a fresh namespace, so that every object is created:
//
//   - kubectl apply --server-side -f DIR, then kubectl wait
//     --for=condition=Available on every Deployment;
//   - promote.Deploy in process: lock, record, preflight dry-run of the
//     whole set, staged concurrent apply, watch until every pod of the new
//     revision is ready (health.verify 1ms: kubectl wait has no verify window);
//   - the bin/kubectl-promote apply binary, when it exists (render of the
//     Kustomize directory included; health.verify 1ms).
//
// It prints the median of each, its ratio to kubectl, and for the
// in-process run the time of each phase. Run it with `make bench-apply`.
package main
