// Command guard measures how fast `kubectl promote guard` (pkg/guard)
// starts undoing a release that fails after its run succeeded.
//
// On a local cluster (test/localcluster) or -kubeconfig, it deploys a good
// release with promote.Deploy, starts a guard in process, then -runs times
// deploys a release whose pods are Ready (so the deploy succeeds) and start
// crash-looping -crash-after later (the late-crash fate), and measures, from
// the guard's events:
//
//   - detection → undo started: from the moment the watch observed the
//     failing pod status (Failure.Detected) to the guard holding the lock,
//     having checked the records, and starting the undo (target p50 ≤ 1s);
//   - detection → first apply: to the undo's first change to the cluster
//     (its lock, dry-run of the whole set and record come first);
//   - detection → rolled back: to the previous release running again and
//     the failed one recorded rolled-back.
//
// Usage: go run ./bench/guard [-runs 10] [-crash-after 3s] [-kubeconfig FILE]
package main
