package cli

import (
	"flag"
	"fmt"
	"io"
	"strconv"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// setupLogging sends client-go's log (klog, at -v) and the apiserver's and
// webhooks' Warning headers to w through the process-wide Redactor: they
// may echo field values, and Secret values must never show. Bodies of
// requests and responses that hold Secrets are masked at every -v. The
// Redactor learns values as objects are rendered and records read, so a
// warning printed late hides what was learnt early.
func setupLogging(w io.Writer, verbosity int) error {
	if verbosity < 0 {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("-v %d: must not be negative", verbosity))
	}
	red := diff.Known()
	out := red.Writer(w)
	// klog.V checks klog's own level, contextual loggers the sink's: set both.
	var fs flag.FlagSet
	klog.InitFlags(&fs)
	if err := fs.Set("v", strconv.Itoa(verbosity)); err != nil {
		return badInput(err)
	}
	inner := textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(out), textlogger.Verbosity(verbosity)))
	klog.SetLogger(red.Logger(inner))
	rest.SetDefaultWarningHandler(rest.NewWarningWriter(out, rest.WarningWriterOptions{Deduplicate: true}))
	return nil
}

// redactEvents hides known Secret values in the messages of deploy
// events before show prints them: they carry errors, and errors may echo
// field values.
func redactEvents(show func(promote.Event)) func(promote.Event) {
	return func(e promote.Event) {
		e.Message = diff.Known().String(e.Message)
		show(e)
	}
}
