// Package version holds the build's version, stamped at link time with
// -X github.com/kubectl-promote/kubectl-promote/internal/version.Version=….
package version

// Version is the release version; "dev" for unstamped builds.
var Version = "dev"
