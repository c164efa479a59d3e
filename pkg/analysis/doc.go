// Package analysis measures a release while it rolls out: Prometheus
// queries (client_golang's API client, at an address or through the
// apiserver's service proxy with the kubeconfig's credentials), web calls
// (client-go JSONPath selection) and Kubernetes Jobs, each judged by
// success and failure conditions over the measured result, count times
// every interval, with Argo Rollouts' semantics (failureLimit,
// inconclusiveLimit, consecutiveErrorLimit). It owns the analysis part of
// the release record (Result) and never prints or records the secret
// values it sends.
package analysis
