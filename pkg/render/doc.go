// Package render turns an environment's source — a Kustomize overlay or a
// Helm chart (a local directory, or a chart of an HTTP chart repository or
// an OCI registry) with values layered as `helm` layers them — into the
// Kubernetes objects to apply, exactly as `kubectl kustomize` and `helm
// template` would, then post-processes them the same way for both: the
// environment's namespace is set on namespaced objects that lack one,
// promoted image references replace their repository's images, duplicates
// are refused, and the objects are put in a deterministic apply order.
//
// It never reads a cluster. It reads files and, for a chart from a
// repository or registry, asks that server through Helm's own downloader
// and registry client unless the chart cache already holds the version
// (chart_remote.go, chart_cache.go). Every error it returns for a problem
// in the inputs carries exitcode.BadInput and names the file (and line,
// where the underlying parser gives one); a chart server that cannot be
// reached is exitcode.Cluster, naming chart and version.
package render
