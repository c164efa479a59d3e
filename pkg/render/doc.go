// Package render turns an environment's source — a Kustomize overlay or a
// local Helm chart with layered values — into the Kubernetes objects to
// apply, exactly as `kubectl kustomize` and `helm template` would, then
// post-processes them the same way for both: the environment's namespace is
// set on namespaced objects that lack one, promoted image references
// replace their repository's images, duplicates are refused, and the
// objects are put in a deterministic apply order.
//
// It is pure: it reads files, never a cluster. Every error it returns for a
// problem in the inputs carries exitcode.BadInput and names the file (and
// line, where the underlying parser gives one).
package render
