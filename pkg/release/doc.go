// Package release owns what kubectl-promote keeps in the cluster about an
// environment (docs/architecture.md, "What lives in the cluster"), all in the environment's own namespace so that
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
//
// Record data is the gzip stream itself, not base64 of it as in Helm: Secret
// data is bytes and the API base64-encodes it once already, so a record is
// a third smaller. A released lock keeps its Lease with an empty holder, so
// using locks needs only get, create and update on leases; records need
// get, list, create, update and delete on secrets; rollout state the same
// on configmaps (list excepted).
//
// Lock expiry is the holder's last renewTime plus its lease duration, read
// on the reader's clock: it assumes clocks agree to well within a lease.
package release
