// Package release owns what kubectl-promote keeps in the cluster about an
// environment (DESIGN §4), all in the environment's own namespace so that
// namespace-scoped RBAC is enough and no controller or CRD is needed:
//
//   - release records, one Secret per revision holding the gzipped JSON of
//     a Record (a Secret because the rendered manifest may contain Secrets),
//     labelled with pipeline, environment, revision and status so that
//     history, the newest successful release and pruning need no decoding;
//   - the lock, a coordination.k8s.io/v1 Lease naming its Holder, renewed
//     while a promotion runs and taken over only once it has expired;
//   - the rollout state of a canary or blue-green rollout, a ConfigMap
//     written with optimistic concurrency so that status, resume and abort
//     work from another machine after the first one died.
//
// Every write is guarded by a resourceVersion, never last-writer-wins. The
// package never prints and never puts a manifest's content into an error.
package release
