// Package e2e holds the end-to-end tests of `kubectl promote diff`: the
// command run in process against the shared local cluster, from a real
// promote.yaml and Kustomize render. It has no code of its own; it lives
// apart from pkg/diff so that the library's tests do not build the whole
// CLI.
package e2e
