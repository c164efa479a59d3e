package dashboard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Environment is one environment of the pipeline with the cluster it lives
// in, as the caller resolved it (context and namespace flags applied).
type Environment struct {
	Env *pipeline.Environment
	// Context is the kube context name, for display.
	Context   string
	Namespace string
	// Clients is nil when the cluster could not be reached; Err says why.
	Clients *kube.Clients
	Err     error
}

// Options configure a Server.
type Options struct {
	Pipeline     *pipeline.Pipeline
	Environments []Environment
	// ReadOnly hides the actions and refuses every POST.
	ReadOnly bool
	// Holder is who the actions' lock and records name.
	Holder release.Holder
	// Approver is the default approver of a promotion.
	Approver string
	// LeaseDuration is the lock lease of the actions (default 30s).
	LeaseDuration time.Duration
	// ControlWait bounds how long a driving process has to act on a resume
	// or abort (default 30s).
	ControlWait time.Duration
	// Debounce gathers the watch events of a burst into one refresh
	// (default 100ms).
	Debounce time.Duration
	// Resync recomputes every environment this often even without events,
	// for what changes with time alone: soak left, lock expiry (default 30s).
	Resync time.Duration
	// Log receives one line per action and per watch problem; nil discards.
	Log io.Writer
	// HardStop, when done, abandons even the undo of a running action (a
	// second signal); nil never.
	HardStop context.Context
}

// Server is one dashboard session: its token, its views of the
// environments and the actions it runs.
type Server struct {
	opts  Options
	token string
	envs  map[string]*Environment
	hub   *hub
	acts  *actions
	hosts map[string]bool
	mu    sync.Mutex
	views map[string]*EnvView
	dirty map[string]chan struct{}
	logMu sync.Mutex
	// ctx is Serve's: the actions run under it.
	ctx context.Context
}

// New returns a Server for opts. It reads nothing from the clusters yet.
func New(opts Options) (*Server, error) {
	if opts.Pipeline == nil {
		return nil, errors.New("dashboard: no pipeline")
	}
	opts = withDefaults(opts)
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, token: token, envs: map[string]*Environment{}, hub: newHub(),
		views: map[string]*EnvView{}, dirty: map[string]chan struct{}{}}
	for i := range opts.Environments {
		e := &opts.Environments[i]
		s.envs[e.Env.Name] = e
		s.dirty[e.Env.Name] = make(chan struct{}, 1)
		s.views[e.Env.Name] = staticView(e)
	}
	s.acts = newActions(s)
	return s, nil
}

func withDefaults(o Options) Options {
	if o.LeaseDuration <= 0 {
		o.LeaseDuration = release.DefaultLeaseDuration
	}
	if o.ControlWait <= 0 {
		o.ControlWait = 30 * time.Second
	}
	if o.Debounce <= 0 {
		o.Debounce = 100 * time.Millisecond
	}
	if o.Resync <= 0 {
		o.Resync = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("dashboard: session token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Token returns the session token every POST must carry in the
// X-Promote-Token header.
func (s *Server) Token() string { return s.token }

// Serve starts the watches and serves on ln until ctx is done. Requests
// must name ln's address (or localhost with its port) as their Host.
// Actions run under ctx: when it is done they stop as the CLI does on a
// signal (a rollout is undone), and Serve returns once they have ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.hosts = allowedHosts(ln.Addr())
	s.ctx = ctx
	defer s.acts.wait()
	s.start(ctx)
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// start reads every environment and keeps it up to date from then on,
// in the background: a slow cluster must not hold the page back.
func (s *Server) start(ctx context.Context) {
	for _, e := range s.opts.Environments {
		go s.refreshLoop(ctx, e.Env.Name)
	}
	s.watchAll(ctx)
}

// logf writes one line to the log; callers never pass Secret values.
func (s *Server) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.opts.Log, time.Now().Format(time.TimeOnly)+" "+format+"\n", args...)
}

// Name returns the pipeline's name.
func (s *Server) Name() string { return s.opts.Pipeline.Metadata.Name }
