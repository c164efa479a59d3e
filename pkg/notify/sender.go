package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// Options tune a Sender; zero values take promote.yaml's defaults.
type Options struct {
	// Retry is the back-off between attempts of one delivery.
	Retry pipeline.NotifyRetry
	// Timeout bounds one attempt.
	Timeout time.Duration
	// Warn receives a line for each notification given up (nil: dropped).
	// Lines name the target, never its URL or token.
	Warn func(string)
	// Redact, when set, is applied to an event's reason before it is
	// queued (the CLI's masking of the Secret values it rendered).
	Redact func(string) string
	// Client sends the requests (default: a client of its own).
	Client *http.Client
	// Sleep waits between attempts (default: a timer); tests record it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Queue is how many events wait per target before new ones are
	// dropped (default 64).
	Queue int
}

// Sender delivers events to its targets in the background: one worker per
// target, so a slow webhook delays nobody else, and each target receives
// its events in the order they were sent.
type Sender struct {
	o       Options
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	closed  bool
	queues  map[string]chan queued
	targets []Target
	wg      sync.WaitGroup
}

type queued struct {
	ctx context.Context
	e   Event
}

// NewSender starts a Sender for targets. With no targets it sends nothing
// and costs nothing.
func NewSender(targets []Target, o Options) *Sender {
	o.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sender{o: o, ctx: ctx, cancel: cancel, queues: map[string]chan queued{}, targets: targets}
	for _, t := range targets {
		q := make(chan queued, o.Queue)
		s.queues[t.name] = q
		s.wg.Add(1)
		go s.work(t, q)
	}
	return s
}

func (o *Options) defaults() {
	if o.Retry.Attempts <= 0 {
		o.Retry.Attempts = pipeline.DefaultNotifyAttempts
	}
	if o.Retry.Backoff <= 0 {
		o.Retry.Backoff = pipeline.Duration(pipeline.DefaultNotifyBackoff)
	}
	if o.Retry.MaxBackoff <= 0 {
		o.Retry.MaxBackoff = pipeline.Duration(pipeline.DefaultNotifyMaxBackoff)
	}
	if o.Timeout <= 0 {
		o.Timeout = pipeline.DefaultNotifyTimeout
	}
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Queue <= 0 {
		o.Queue = 64
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Targets are the Sender's targets.
func (s *Sender) Targets() []Target { return s.targets }

// Send queues e for every target that takes its kind and returns at once.
// The delivery keeps ctx's values but not its end: a notification about a
// run that a signal stopped is still delivered, until Flush gives up. A
// nil Sender sends nothing.
func (s *Sender) Send(ctx context.Context, e Event) {
	if s == nil {
		return
	}
	if s.o.Redact != nil {
		e.Reason = s.o.Redact(e.Reason)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.targets {
		if !t.wants(e.Kind) {
			continue
		}
		if s.closed {
			s.o.Warn(fmt.Sprintf("notify webhook %q: %s not sent: notifications were already flushed", t.name, e.Kind))
			continue
		}
		select {
		case s.queues[t.name] <- queued{ctx: context.WithoutCancel(ctx), e: e}:
		default:
			s.o.Warn(fmt.Sprintf("notify webhook %q: %s dropped: %d notifications are already waiting", t.name, e.Kind, s.o.Queue))
		}
	}
}

// Flush stops taking events and waits until the queued ones are delivered
// (or given up), or until ctx ends: then what is left is dropped with a
// warning. A nil Sender returns at once.
func (s *Sender) Flush(ctx context.Context) {
	if s == nil {
		return
	}
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for _, q := range s.queues {
			close(q)
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.cancel()
		<-done
	}
	s.cancel()
}

// work delivers q's events to t one after the other.
func (s *Sender) work(t Target, q chan queued) {
	defer s.wg.Done()
	for item := range q {
		if s.ctx.Err() != nil {
			s.o.Warn(fmt.Sprintf("notify webhook %q: %s of revision %d not delivered: the process is exiting", t.name, item.e.Kind, item.e.Revision))
			continue
		}
		if err := s.deliver(item.ctx, t, item.e); err != nil {
			s.o.Warn(scrub(fmt.Sprintf("notify webhook %q: %s of revision %d not delivered: %v", t.name, item.e.Kind, item.e.Revision, err), t.secrets()))
		}
	}
}

// deliver posts e to t, retrying with exponential back-off: at most
// Retry.Attempts attempts of at most Timeout each.
func (s *Sender) deliver(ctx context.Context, t Target, e Event) error {
	body, contentType, err := payload(t.format, e)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	wait := s.o.Retry.Backoff.D()
	for attempt := 1; ; attempt++ {
		err := s.post(ctx, t, body, contentType)
		if err == nil {
			return nil
		}
		var p permanent
		if errors.As(err, &p) || attempt >= s.o.Retry.Attempts || ctx.Err() != nil {
			return fmt.Errorf("%w (attempt %d of %d)", err, attempt, s.o.Retry.Attempts)
		}
		if err := s.o.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("stopped while waiting to retry: the process is exiting")
		}
		wait = min(2*wait, s.o.Retry.MaxBackoff.D())
	}
}

// permanent is an answer that another attempt would not change (a 4xx).
type permanent struct{ error }

func (s *Sender) post(ctx context.Context, t Target, body []byte, contentType string) error {
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building the request failed")
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "kubectl-promote")
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return transportError(err, s.o.Timeout)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusTooManyRequests || c == http.StatusRequestTimeout || c >= 500:
		return fmt.Errorf("HTTP %s", resp.Status)
	default:
		return permanent{fmt.Errorf("HTTP %s (not retried)", resp.Status)}
	}
}

// transportError describes err without the URL that *url.Error carries.
func transportError(err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("no answer within %s", timeout)
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return fmt.Errorf("%s: %v", op.Op, op.Err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("stopped: the process is exiting")
	}
	return err
}

// scrub replaces each secret in msg: a safety net under the messages that
// are built not to hold them.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}
