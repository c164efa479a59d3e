package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// PipelineView is GET /api/pipeline: the environments in pipeline order.
type PipelineView struct {
	Name         string     `json:"name"`
	ReadOnly     bool       `json:"readOnly"`
	Approver     string     `json:"approver,omitempty"`
	Environments []*EnvView `json:"environments"`
}

// HistoryView is GET /api/environments/{env}/history: every kept release,
// newest first.
type HistoryView struct {
	Environment string     `json:"environment"`
	Releases    []*Release `json:"releases"`
}

// maxBody bounds a POST body.
const maxBody = 16 << 10

// Handler returns the server's routes behind the Host, origin and token
// checks; Serve serves it.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serveIndex)
	mux.HandleFunc("GET /static/{file}", serveStatic)
	mux.HandleFunc("GET /api/pipeline", s.servePipeline)
	mux.HandleFunc("GET /api/environments/{env}", s.serveEnvironment)
	mux.HandleFunc("GET /api/environments/{env}/history", s.serveHistory)
	mux.HandleFunc("GET /api/environments/{env}/diff", s.serveDiff)
	mux.HandleFunc("POST /api/environments/{env}/actions", s.serveAction)
	mux.HandleFunc("GET /api/actions", s.serveActions)
	mux.HandleFunc("GET /api/actions/{id}", s.serveActionByID)
	mux.HandleFunc("GET /api/events", s.serveEvents)
	return s.guard(mux)
}

func (s *Server) servePipeline(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, PipelineView{
		Name: s.opts.Pipeline.Metadata.Name, ReadOnly: s.opts.ReadOnly, Approver: s.opts.Approver,
		Environments: s.snapshot(),
	})
}

func (s *Server) serveEnvironment(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("env")
	s.mu.Lock()
	v := s.views[name]
	s.mu.Unlock()
	if v == nil {
		writeError(w, http.StatusNotFound, "no environment "+strconv.Quote(name)+" in the pipeline")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) serveHistory(w http.ResponseWriter, r *http.Request) {
	e, ok := s.envs[r.PathValue("env")]
	if !ok {
		writeError(w, http.StatusNotFound, "no environment "+strconv.Quote(r.PathValue("env"))+" in the pipeline")
		return
	}
	h, err := s.history(r.Context(), e)
	if err != nil {
		writeError(w, statusOf(err), errText(err))
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) history(ctx context.Context, e *Environment) (*HistoryView, error) {
	if e.Clients == nil {
		return nil, exitcode.With(exitcode.Cluster, e.Err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	recs, err := s.store(e).List(ctx)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, err)
	}
	h := &HistoryView{Environment: e.Env.Name, Releases: make([]*Release, 0, len(recs))}
	for _, rec := range recs {
		h.Releases = append(h.Releases, withAnalysis(rec))
	}
	return h, nil
}

func (s *Server) serveAction(w http.ResponseWriter, r *http.Request) {
	var req ActionRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "request body: "+err.Error())
		return
	}
	// The action outlives the request: it is bound to the server, not to
	// the page that asked.
	v, err := s.acts.start(s.ctx, r.PathValue("env"), req)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, v)
}

func (s *Server) serveActions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.acts.list())
}

func (s *Server) serveActionByID(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	v := s.acts.get(id)
	if err != nil || v == nil {
		writeError(w, http.StatusNotFound, "no action "+strconv.Quote(r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// statusOf maps an error's exit code to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, errBusy):
		return http.StatusConflict
	case exitcode.Code(err) == exitcode.BadInput:
		return http.StatusBadRequest
	case exitcode.Code(err) == exitcode.Blocked:
		return http.StatusConflict
	}
	return http.StatusBadGateway
}

// apiError is the body of every error response.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// indexData fills web/index.html.
type indexData struct {
	Pipeline string
	Token    string
	ReadOnly bool
}

var indexTemplate = template.Must(template.ParseFS(webFS, "web/index.html"))

func (s *Server) serveIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
	_ = indexTemplate.Execute(w, indexData{Pipeline: s.opts.Pipeline.Metadata.Name, Token: s.token, ReadOnly: s.opts.ReadOnly})
}

// serveStatic serves one embedded asset of web/static.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := "web/static/" + r.PathValue("file")
	if _, err := fs.Stat(webFS, name); err != nil {
		http.NotFound(w, r)
		return
	}
	http.ServeFileFS(w, r, webFS, name)
}
