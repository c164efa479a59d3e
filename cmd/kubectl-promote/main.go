// Command kubectl-promote is the kubectl/Helm plugin entry point: it builds
// the root command, runs it, and maps errors to the documented exit codes.
package main

import (
	"context"
	"fmt"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/internal/cli"
	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	ctx, stop := cli.WithSignals(context.Background())
	defer stop()
	cmd := cli.NewRootCommand(streams)
	err := cmd.ExecuteContext(ctx)
	if err != nil && !cli.IsReported(err) {
		// Errors may echo Secret values (a webhook quoting a field).
		fmt.Fprintf(os.Stderr, "error: %s\n", diff.Known().String(err.Error()))
	}
	stop()
	os.Exit(exitcode.Code(err))
}
