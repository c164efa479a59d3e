package diff

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
)

// Context returns ctx with a logger that never writes request or response
// bodies and hides known values elsewhere. client-go logs bodies at -v=8
// and above through the request context's logger; requests that carry
// Secrets must run under this context.
func (r *Redactor) Context(ctx context.Context) context.Context {
	inner := klog.FromContext(ctx).GetSink()
	if inner == nil {
		return ctx
	}
	return klog.NewContext(ctx, logr.New(r.sink(inner, allBodies)))
}

// Logger returns a logger writing to inner's sink that hides known values
// everywhere and masks the request and response bodies that client-go
// logs at -v=8 and above when they hold a Secret (or a list of them). It
// is meant to be klog's global logger (klog.SetLogger).
func (r *Redactor) Logger(inner logr.Logger) logr.Logger {
	if inner.GetSink() == nil {
		return inner
	}
	return logr.New(r.sink(inner.GetSink(), secretBodies))
}

func (r *Redactor) sink(inner logr.LogSink, masked func(kv []any) bool) logr.LogSink {
	// One more frame (this sink's method) sits between the caller and
	// the inner sink. WithCallDepth returns a copy: the inner sink may be
	// klog's global one and must not be changed.
	if cd, ok := inner.(logr.CallDepthLogSink); ok {
		inner = cd.WithCallDepth(1)
	}
	return &redactSink{inner: inner, r: r, masked: masked}
}

// Writer returns a writer that hides known values in each write before
// passing it on to w. Callers should write whole lines: a value split
// across two writes is not recognised.
func (r *Redactor) Writer(w io.Writer) io.Writer { return redactWriter{w: w, r: r} }

type redactWriter struct {
	w io.Writer
	r *Redactor
}

// Write reports len(p) written when the redacted text was written whole.
func (w redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// bodyMessages are the client-go log messages that carry whole bodies.
var bodyMessages = []string{"Request Body", "Response Body"}

// allBodies masks every body: the request is about a Secret.
func allBodies([]any) bool { return true }

// secretBodies masks a body that holds a Secret. Secrets are the only
// kind whose values matter here, and a Secret's kind is written in its
// JSON and protobuf bodies alike; release records are Secrets too.
func secretBodies(kv []any) bool {
	for i := 1; i < len(kv); i += 2 {
		if strings.Contains(text(kv[i]), "Secret") {
			return true
		}
	}
	return false
}

// redactSink wraps a LogSink, masking bodies and known values.
type redactSink struct {
	inner  logr.LogSink
	r      *Redactor
	masked func(kv []any) bool
}

// Init does nothing: the inner sink was initialised by its own logger.
func (s *redactSink) Init(logr.RuntimeInfo) {}

// Enabled defers to the inner sink.
func (s *redactSink) Enabled(level int) bool { return s.inner.Enabled(level) }

// Info masks bodies and scrubs known values.
func (s *redactSink) Info(level int, msg string, kv ...any) {
	if slices.Contains(bodyMessages, msg) && s.masked(kv) {
		s.inner.Info(level, msg, "body", "<masked: may contain Secret values>")
		return
	}
	s.inner.Info(level, s.r.String(msg), s.values(kv)...)
}

// Error scrubs known values from the error, message and values.
func (s *redactSink) Error(err error, msg string, kv ...any) {
	s.inner.Error(s.r.Error(err), s.r.String(msg), s.values(kv)...)
}

// WithValues scrubs the values it keeps.
func (s *redactSink) WithValues(kv ...any) logr.LogSink {
	return &redactSink{inner: s.inner.WithValues(s.values(kv)...), r: s.r, masked: s.masked}
}

// WithName keeps redacting under the new name.
func (s *redactSink) WithName(name string) logr.LogSink {
	return &redactSink{inner: s.inner.WithName(name), r: s.r, masked: s.masked}
}

// WithCallDepth keeps file:line pointing at client-go, not at this file.
func (s *redactSink) WithCallDepth(depth int) logr.LogSink {
	if cd, ok := s.inner.(logr.CallDepthLogSink); ok {
		return &redactSink{inner: cd.WithCallDepth(depth), r: s.r, masked: s.masked}
	}
	return s
}

// values redacts the values of key/value pairs, turning anything that
// prints a known value into its redacted string.
func (s *redactSink) values(kv []any) []any {
	out := make([]any, len(kv))
	for i, v := range kv {
		out[i] = v
		if i%2 == 0 {
			continue
		}
		t := text(v)
		if red := s.r.String(t); red != t {
			out[i] = red
		}
	}
	return out
}

// text is how a logged value reads.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case error:
		return v.Error()
	default:
		return fmt.Sprint(v)
	}
}

var _ logr.CallDepthLogSink = (*redactSink)(nil)
