package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"k8s.io/client-go/rest"
)

// DefaultAnswerTimeout bounds how long a request waits for the apiserver to
// start answering when --request-timeout is not set. Without it, a server
// that accepts connections and never answers holds a run forever. It does
// not bound a watch or a long response once its headers have arrived.
const DefaultAnswerTimeout = time.Minute

// AnswerTimeoutEnv, when set to a Go duration ("20s"), replaces
// DefaultAnswerTimeout.
const AnswerTimeoutEnv = "KUBECTL_PROMOTE_ANSWER_TIMEOUT"

// answerAfter is DefaultAnswerTimeout or what AnswerTimeoutEnv says.
func answerAfter() time.Duration {
	if d, err := time.ParseDuration(os.Getenv(AnswerTimeoutEnv)); err == nil && d > 0 {
		return d
	}
	return DefaultAnswerTimeout
}

// NoAnswerError is a request the cluster accepted and never answered.
type NoAnswerError struct {
	Host  string
	After time.Duration
}

func (e *NoAnswerError) Error() string {
	return fmt.Sprintf("the cluster at %s did not answer within %s (set --request-timeout to wait longer)", e.Host, e.After)
}

// Timeout reports true: this is a network timeout (see net.Error).
func (e *NoAnswerError) Timeout() bool { return true }

// Temporary reports false (see net.Error).
func (e *NoAnswerError) Temporary() bool { return false }

// WithBoundedAnswers returns a WrapConfigFn (see genericclioptions'
// ConfigFlags) that applies next, if any, and then bounds every request of
// the config — discovery included — the way boundAnswers does.
func WithBoundedAnswers(next func(*rest.Config) *rest.Config) func(*rest.Config) *rest.Config {
	return func(cfg *rest.Config) *rest.Config {
		if next != nil {
			cfg = next(cfg)
		}
		boundAnswers(cfg)
		return cfg
	}
}

// boundAnswers makes every request of cfg give up when the cluster has not
// started answering within answerAfter(), unless cfg.Timeout (from
// --request-timeout) already bounds it.
func boundAnswers(cfg *rest.Config) {
	if cfg.Timeout > 0 {
		return
	}
	host, after := cfg.Host, answerAfter()
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &answerTimeout{next: rt, after: after, host: host}
	})
}

// answerTimeout is a RoundTripper with a deadline on the response headers.
type answerTimeout struct {
	next  http.RoundTripper
	after time.Duration
	host  string
}

var errNoAnswer = errors.New("no answer")

// RoundTrip sends req and cancels it if its headers do not arrive in time;
// the body, once there, is not bounded.
func (a *answerTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	timer := time.AfterFunc(a.after, func() { cancel(errNoAnswer) })
	resp, err := a.next.RoundTrip(req.WithContext(ctx))
	timer.Stop()
	if err != nil {
		cancel(nil)
		if errors.Is(context.Cause(ctx), errNoAnswer) {
			return nil, &NoAnswerError{Host: a.host, After: a.after}
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
	return resp, nil
}

// WrappedRoundTripper returns the next RoundTripper (client-go walks the
// chain with it).
func (a *answerTimeout) WrappedRoundTripper() http.RoundTripper { return a.next }

// cancelOnClose releases the request's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
