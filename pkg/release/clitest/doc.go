// Package clitest runs the history and unlock commands end to end against
// the shared local cluster. It holds tests only; it lives apart from
// pkg/release so that the package's own tests never depend on internal/cli.
package clitest
