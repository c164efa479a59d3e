package diff

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// minSecretLen is the shortest Secret value the Redactor hides inside
// other text: shorter ones ("1", "true") would blank out unrelated words,
// and guessing them is easy anyway.
const minSecretLen = 4

// Redactor hides the values of Secrets in free text: error messages, log
// lines and annotations. MaskSecrets covers the fields where values
// belong; the Redactor covers everything else that might echo them.
type Redactor struct {
	values []string // longest first, so no value is left half-replaced
}

// NewRedactor collects the values of the Secrets among objs: data (both
// base64 and decoded), stringData (both plain and base64) and those kept
// in a last-applied annotation, each also as it reads inside JSON.
// Other objects and nils are ignored.
func NewRedactor(objs ...*unstructured.Unstructured) *Redactor {
	r := &Redactor{}
	for _, u := range objs {
		if IsSecret(u) {
			r.addSecret(u.Object, 0)
		}
	}
	slices.SortFunc(r.values, func(a, b string) int { return len(b) - len(a) })
	r.values = slices.Compact(r.values)
	return r
}

// Empty reports whether r knows no values.
func (r *Redactor) Empty() bool { return r == nil || len(r.values) == 0 }

func (r *Redactor) addSecret(obj map[string]any, depth int) {
	for _, field := range []string{"data", "stringData"} {
		m, _ := obj[field].(map[string]any)
		for _, v := range m {
			s, ok := v.(string)
			if !ok {
				continue
			}
			r.add(s)
			if field == "data" {
				if plain, err := base64.StdEncoding.DecodeString(s); err == nil {
					r.add(string(plain))
				}
			} else {
				r.add(base64.StdEncoding.EncodeToString([]byte(s)))
			}
		}
	}
	md, _ := obj["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	if last, ok := ann[LastAppliedAnnotation].(string); ok && depth == 0 {
		var prev map[string]any
		if json.Unmarshal([]byte(last), &prev) == nil {
			r.addSecret(prev, depth+1)
		}
	}
}

// add records s and the forms it takes when quoted in JSON once or twice
// (a last-applied annotation is JSON inside JSON).
func (r *Redactor) add(s string) {
	if len(s) < minSecretLen {
		return
	}
	r.values = append(r.values, s)
	once := jsonInner(s)
	r.values = append(r.values, once, jsonInner(once))
}

// jsonInner returns s as it appears between the quotes of a JSON string.
func jsonInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// String returns s with every known value replaced by MaskSame.
func (r *Redactor) String(s string) string {
	if r.Empty() {
		return s
	}
	for _, v := range r.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, MaskSame)
		}
	}
	return s
}

// Error returns err with known values hidden from its message. The result
// keeps the exit code of err but not err itself, so that nothing can print
// the original message by unwrapping.
func (r *Redactor) Error(err error) error {
	if err == nil || r.Empty() {
		return err
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	red := errors.New(msg)
	var coded *exitcode.Error
	if errors.As(err, &coded) {
		return exitcode.With(coded.Code, red)
	}
	return red
}

// Context returns ctx with a logger that never writes request or response
// bodies and hides known values elsewhere. client-go logs bodies at -v=8
// and above through the request context's logger; requests that carry
// Secrets must run under this context.
func (r *Redactor) Context(ctx context.Context) context.Context {
	inner := klog.FromContext(ctx).GetSink()
	if inner == nil {
		return ctx
	}
	// One more frame (this sink's method) sits between the caller and
	// the inner sink. WithCallDepth returns a copy: the inner sink may be
	// klog's global one and must not be changed.
	if cd, ok := inner.(logr.CallDepthLogSink); ok {
		inner = cd.WithCallDepth(1)
	}
	return klog.NewContext(ctx, logr.New(&redactSink{inner: inner, r: r}))
}

// bodyMessages are the client-go log messages that carry whole bodies.
var bodyMessages = []string{"Request Body", "Response Body"}

// redactSink wraps a LogSink, masking bodies and known values.
type redactSink struct {
	inner logr.LogSink
	r     *Redactor
}

// Init does nothing: the inner sink was initialised by its own logger.
func (s *redactSink) Init(logr.RuntimeInfo) {}

// Enabled defers to the inner sink.
func (s *redactSink) Enabled(level int) bool { return s.inner.Enabled(level) }

// Info masks bodies and scrubs known values.
func (s *redactSink) Info(level int, msg string, kv ...any) {
	if slices.Contains(bodyMessages, msg) {
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
	return &redactSink{inner: s.inner.WithValues(s.values(kv)...), r: s.r}
}

// WithName keeps redacting under the new name.
func (s *redactSink) WithName(name string) logr.LogSink {
	return &redactSink{inner: s.inner.WithName(name), r: s.r}
}

// WithCallDepth keeps file:line pointing at client-go, not at this file.
func (s *redactSink) WithCallDepth(depth int) logr.LogSink {
	if cd, ok := s.inner.(logr.CallDepthLogSink); ok {
		return &redactSink{inner: cd.WithCallDepth(depth), r: s.r}
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
		var text string
		switch v := v.(type) {
		case string:
			text = v
		case []byte:
			text = string(v)
		case error:
			text = v.Error()
		default:
			text = fmt.Sprint(v)
		}
		if red := s.r.String(text); red != text {
			out[i] = red
		}
	}
	return out
}

var _ logr.CallDepthLogSink = (*redactSink)(nil)
