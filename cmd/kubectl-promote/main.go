// Command kubectl-promote is the kubectl/Helm plugin entry point: it builds
// the root command, runs it, and maps errors and signals to the documented
// exit codes.
package main

import (
	"context"
	"fmt"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/internal/cli"
	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	ctx, stop := cli.WithSignals(context.Background(), func(code int) {
		fmt.Fprintln(os.Stderr, "error: stopped hard: the command did not end in time after the signal")
		os.Exit(code)
	})
	defer stop()
	cmd := cli.NewRootCommand(streams)
	err := cmd.ExecuteContext(ctx)
	if err != nil && !cli.IsReported(err) {
		// Errors may echo Secret values (a webhook quoting a field).
		fmt.Fprintf(os.Stderr, "error: %s\n", diff.Known().String(err.Error()))
	}
	sig := cli.Signalled(ctx)
	stop()
	os.Exit(cli.ExitCode(err, sig))
}
