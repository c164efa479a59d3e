// Package guard keeps watching each environment's newest successful release
// after the run that deployed it exited, for the environment's health.guard
// window, and undoes it whole when it fails late.
//
// The watch is pkg/rollout/watch's, with its rules: pods of the release's
// newest revision only, failures sticky. On a failure the guard takes the
// environment's lock like every writer (release.Acquire; a lock held by a
// live run means someone is deploying, and the guard leaves the environment
// to it), checks under the lock that the failed release is still the newest
// successful one (so a second guard, or the same one twice, undoes nothing),
// re-applies the previous successful release through promote.Undo and
// records the failed release rolled-back, by the guard, with the pod's
// reason.
//
// The guard reports what it does to a Notifier (the seam for logs and
// notifications) and to Metrics (Prometheus, its own registry). Election runs
// it in one replica of several (client-go leader election on a Lease), Server
// serves /metrics, /healthz and /readyz, and Manifests prints what runs it
// in a cluster.
package guard
