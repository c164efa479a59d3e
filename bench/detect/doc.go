// Command detect measures how fast pkg/rollout/watch detects a bad release,
// side by side with `kubectl rollout status`.
//
// On a local cluster (test/localcluster), each run applies a good
// Deployment, waits until it is healthy, then updates it to a template
// whose pods crash-loop and measures:
//
//   - first failing pod status → Watch returned *Failure, where the first
//     failing status is when an independent pod watch in this program saw
//     it (and, for reference, the Observed time Watch itself reports);
//   - update applied → Watch returned;
//   - update applied → `kubectl rollout status` exited, which it does only
//     when the Deployment's progressDeadlineSeconds passes (-progress-deadline).
//
// Usage: go run ./bench/detect [-runs 10] [-progress-deadline 30]
package main
