package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// DiffView is GET /api/environments/{env}/diff: what promoting the
// upstream's current release into env would change, as
// `kubectl promote diff ENV --from UPSTREAM` prints it, Secrets masked.
type DiffView struct {
	Environment      string             `json:"environment"`
	From             string             `json:"from"`
	UpstreamRevision int                `json:"upstreamRevision"`
	Artifacts        []release.Artifact `json:"artifacts,omitempty"`
	HasDifferences   bool               `json:"hasDifferences"`
	Summary          string             `json:"summary"`
	// Text is the unified diff, without colour.
	Text string `json:"text"`
}

func (s *Server) serveDiff(w http.ResponseWriter, r *http.Request) {
	e, ok := s.envs[r.PathValue("env")]
	if !ok {
		writeError(w, http.StatusNotFound, "no environment "+strconv.Quote(r.PathValue("env"))+" in the pipeline")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	v, err := s.nextDiff(ctx, e)
	if err != nil {
		writeError(w, statusOf(err), errText(err))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// nextDiff renders e with the upstream's current artifacts and diffs the
// result against the live cluster (server-side dry-run, nothing changes).
func (s *Server) nextDiff(ctx context.Context, e *Environment) (*DiffView, error) {
	if err := s.checkRequest(e, ActionRequest{Action: ActionPromote}); err != nil {
		return nil, err
	}
	if e.Clients == nil {
		return nil, exitcode.With(exitcode.Cluster, e.Err)
	}
	up := s.envs[e.Env.From]
	rec, err := promote.UpstreamRelease(ctx, s.store(up), up.Env.Name)
	if err != nil {
		return nil, err
	}
	objs, err := s.renderWith(ctx, e, rec.Artifacts)
	if err != nil {
		return nil, err
	}
	opts := diff.DefaultOptions()
	opts.Namespace, opts.AllowedNamespaces = e.Namespace, e.Env.AllowNamespaces
	opts.Owner = diff.Owner{Pipeline: s.opts.Pipeline.Metadata.Name, Environment: e.Env.Name}
	// Drift (fields another manager took over) is shown, not an error, as in `diff`.
	opts.Drift = true
	cs, err := diff.Diff(ctx, e.Clients, rollout.LeaveReplicasToHPAs(objs), opts)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := diff.WriteText(&b, cs, diff.TextOptions{Context: 3}); err != nil {
		return nil, err
	}
	return &DiffView{
		Environment: e.Env.Name, From: up.Env.Name, UpstreamRevision: rec.Revision, Artifacts: rec.Artifacts,
		HasDifferences: cs.HasDifferences(), Summary: cs.Summary(), Text: b.String(),
	}, nil
}

func (s *Server) renderWith(ctx context.Context, e *Environment, arts []release.Artifact) ([]*unstructured.Unstructured, error) {
	target := *e.Env
	target.Namespace = e.Namespace
	r, err := render.For(s.opts.Pipeline, &target)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, err)
	}
	res, err := r.Render(ctx, promote.RenderOptions(arts))
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("rendering %s: %w", e.Env.Name, err))
	}
	return res.Objects, nil
}
