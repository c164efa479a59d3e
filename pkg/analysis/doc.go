// Package analysis measures a release while it rolls out: Prometheus
// queries, web calls and Kubernetes Jobs, each judged by success and
// failure conditions over the measured result, count times every interval,
// with Argo Rollouts' semantics (failureLimit, inconclusiveLimit,
// consecutiveErrorLimit). It owns the analysis part of the release record
// (Result) and never prints or records the secret values it sends.
package analysis
