package dashboard

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// The actions a page can ask for.
const (
	ActionResume  = "resume"
	ActionAbort   = "abort"
	ActionPromote = "promote"
	ActionUndo    = "undo"
)

// ActionRequest is the body of POST /api/environments/{env}/actions.
type ActionRequest struct {
	Action string `json:"action"`
	// Revision is the revision undo goes back to (0: the previous
	// successful one).
	Revision int `json:"revision,omitempty"`
	// Approve approves a promotion whose gate requires it; Approver is
	// recorded in the release (default: the dashboard's user).
	Approve  bool   `json:"approve,omitempty"`
	Approver string `json:"approver,omitempty"`
}

// Action states.
const (
	StateRunning   = "running"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
)

// ActionView is one action, as it runs and once it ended.
type ActionView struct {
	ID          int           `json:"id"`
	Environment string        `json:"environment"`
	Request     ActionRequest `json:"request"`
	State       string        `json:"state"`
	Started     time.Time     `json:"started"`
	Finished    time.Time     `json:"finished,omitzero"`
	Events      []ActionEvent `json:"events,omitempty"`
	// Result is the closing line; Error and ExitCode what the CLI would
	// have printed and exited with.
	Result   string `json:"result,omitempty"`
	Error    string `json:"error,omitempty"`
	ExitCode int    `json:"exitCode"`
}

// ActionEvent is one line of an action's progress.
type ActionEvent struct {
	Time    time.Time `json:"time"`
	Phase   string    `json:"phase,omitempty"`
	Message string    `json:"message"`
}

// maxActionEvents bounds the progress lines kept per action.
const maxActionEvents = 200

// actions runs the page's actions, one at a time per environment, in the
// background: a page that closes does not stop them.
type actions struct {
	s       *Server
	wg      sync.WaitGroup
	mu      sync.Mutex
	seq     int
	byID    map[int]*ActionView
	running map[string]int
}

func newActions(s *Server) *actions {
	return &actions{s: s, byID: map[int]*ActionView{}, running: map[string]int{}}
}

// errBusy: an action is already running on the environment.
var errBusy = errors.New("an action is already running on this environment")

// wait waits for the running actions to end.
func (a *actions) wait() { a.wg.Wait() }

// start checks req and runs it in the background under ctx.
func (a *actions) start(ctx context.Context, env string, req ActionRequest) (*ActionView, error) {
	e, ok := a.s.envs[env]
	if !ok {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("no environment %q in the pipeline", env))
	}
	if err := a.s.check(e, req); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if id, ok := a.running[env]; ok {
		return nil, fmt.Errorf("%w (action %d)", errBusy, id)
	}
	a.seq++
	v := &ActionView{ID: a.seq, Environment: env, Request: req, State: StateRunning, Started: time.Now()}
	a.byID[v.ID], a.running[env] = v, v.ID
	a.s.logf("action %d: %s %s started", v.ID, req.Action, env)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.run(ctx, e, v)
	}()
	return v.copy(), nil
}

func (a *actions) run(ctx context.Context, e *Environment, v *ActionView) {
	a.publish(v)
	result, err := a.s.perform(ctx, e, v.Request, func(ev promote.Event) { a.event(v, ev) })
	a.mu.Lock()
	v.Finished, v.Result, v.State = time.Now(), result, StateSucceeded
	if err != nil {
		v.State, v.Error, v.ExitCode = StateFailed, err.Error(), exitcode.Code(err)
	}
	delete(a.running, e.Env.Name)
	a.mu.Unlock()
	a.s.logf("action %d: %s %s %s (exit %d)", v.ID, v.Request.Action, e.Env.Name, v.State, v.ExitCode)
	a.publish(v)
	a.s.mark(e.Env.Name)
}

func (a *actions) event(v *ActionView, ev promote.Event) {
	if ev.Message == "" {
		return
	}
	a.mu.Lock()
	if len(v.Events) < maxActionEvents {
		v.Events = append(v.Events, ActionEvent{Time: ev.Time, Phase: ev.Phase, Message: ev.Message})
	}
	a.mu.Unlock()
	a.publish(v)
}

func (a *actions) publish(v *ActionView) {
	a.mu.Lock()
	c := v.copy()
	a.mu.Unlock()
	a.s.hub.publish(EventAction, c)
}

// copy is a snapshot of v safe to encode without the lock.
func (v *ActionView) copy() *ActionView {
	c := *v
	c.Events = append([]ActionEvent(nil), v.Events...)
	return &c
}

func (a *actions) get(id int) *ActionView {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v, ok := a.byID[id]; ok {
		return v.copy()
	}
	return nil
}

// list returns every action of this session, oldest first.
func (a *actions) list() []*ActionView {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*ActionView, 0, len(a.byID))
	for _, v := range a.byID {
		out = append(out, v.copy())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
