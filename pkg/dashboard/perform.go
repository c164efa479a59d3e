package dashboard

import (
	"context"
	"fmt"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// check refuses a request that cannot run, before anything starts.
func (s *Server) check(e *Environment, req ActionRequest) error {
	if err := s.checkRequest(e, req); err != nil {
		return err
	}
	if e.Clients == nil {
		return exitcode.With(exitcode.Cluster, fmt.Errorf("environment %s: cluster not reachable: %s", e.Env.Name, errText(e.Err)))
	}
	return nil
}

// checkRequest checks the request itself, before the cluster.
func (s *Server) checkRequest(e *Environment, req ActionRequest) error {
	switch req.Action {
	case ActionResume, ActionAbort:
	case ActionUndo:
		if req.Revision < 0 {
			return exitcode.With(exitcode.BadInput, fmt.Errorf("revision must be positive"))
		}
	case ActionPromote:
		if e.Env.From == "" {
			return exitcode.With(exitcode.BadInput, fmt.Errorf("environment %s has no upstream (from:) to promote from", e.Env.Name))
		}
		if up := s.envs[e.Env.From]; up == nil || up.Clients == nil {
			return exitcode.With(exitcode.Cluster, fmt.Errorf("the cluster of upstream %s is not reachable", e.Env.From))
		}
	default:
		return exitcode.With(exitcode.BadInput, fmt.Errorf("unknown action %q: use resume, abort, promote or undo", req.Action))
	}
	return nil
}

// perform runs one action through the library functions the CLI uses and
// returns its closing line.
func (s *Server) perform(ctx context.Context, e *Environment, req ActionRequest, events func(promote.Event)) (string, error) {
	switch req.Action {
	case ActionResume:
		return s.control(ctx, e, promote.Resume, events)
	case ActionAbort:
		return s.control(ctx, e, promote.Abort, events)
	case ActionPromote:
		return s.promote(ctx, e, req, events)
	}
	return s.undo(ctx, e, req.Revision, events)
}

// request is the deploy request of e, as the CLI builds it with default
// flags.
func (s *Server) request(e *Environment, events func(promote.Event)) promote.Request {
	p := s.opts.Pipeline
	return promote.Request{
		Pipeline: p.Metadata.Name, Env: e.Env, Namespace: e.Namespace, Clients: e.Clients,
		Health: p.Health(e.Env), History: p.History(e.Env), Holder: s.opts.Holder,
		Lock:   release.LockOptions{LeaseDuration: s.opts.LeaseDuration},
		Events: events, HardStop: s.opts.HardStop,
	}
}

func (s *Server) control(ctx context.Context, e *Environment, action promote.Action, events func(promote.Event)) (string, error) {
	r := s.request(e, events)
	res, err := promote.Control(ctx, promote.ControlRequest{
		Pipeline: r.Pipeline, Env: e.Env, Namespace: e.Namespace, Clients: e.Clients, Action: action,
		Health: r.Health, Holder: r.Holder, Lock: r.Lock, Wait: s.opts.ControlWait, Events: events,
		HardStop: s.opts.HardStop,
	})
	if err != nil {
		return "", err
	}
	switch {
	case res.Result != nil && res.Result.Record != nil:
		rec := res.Result.Record
		return fmt.Sprintf("%s: revision %d %s", e.Env.Name, rec.Revision, rec.Status), nil
	case res.Driver != nil:
		return fmt.Sprintf("%s: %s done by %s", e.Env.Name, action, res.Driver), nil
	}
	return fmt.Sprintf("%s: %s done", e.Env.Name, action), nil
}

// promote carries the upstream's current release into e, as
// `kubectl promote ENV` does, with the page's approval.
func (s *Server) promote(ctx context.Context, e *Environment, req ActionRequest, events func(promote.Event)) (string, error) {
	up := s.envs[e.Env.From]
	target := *e.Env
	target.Namespace = e.Namespace
	r, err := render.For(s.opts.Pipeline, &target)
	if err != nil {
		return "", exitcode.With(exitcode.BadInput, err)
	}
	approver := req.Approver
	if approver == "" {
		approver = s.opts.Approver
	}
	res, err := promote.Promote(ctx, promote.Promotion{
		Upstream: up.Env, UpstreamClients: up.Clients, UpstreamNamespace: up.Namespace, Renderer: r,
		Request:  s.request(e, events),
		Approval: promote.Approval{Approved: req.Approve, Approver: approver},
	})
	if err != nil {
		return "", err
	}
	return deployLine(e.Env.Name, res.Deploy), nil
}

// undo re-applies an earlier release whole as a new revision through
// promote.Undo, as `kubectl promote undo ENV [--to-revision N]` does.
func (s *Server) undo(ctx context.Context, e *Environment, revision int, events func(promote.Event)) (string, error) {
	res, err := promote.Undo(ctx, promote.UndoRequest{Request: s.request(e, events), ToRevision: revision})
	if err != nil {
		return "", err
	}
	return deployLine(e.Env.Name, res.Deploy), nil
}

func deployLine(env string, res *promote.Result) string {
	if res == nil || res.Record == nil {
		return env + ": done"
	}
	return fmt.Sprintf("%s: revision %d %s", env, res.Record.Revision, res.Record.Status)
}
