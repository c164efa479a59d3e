package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// progress prints deploy events: timestamped lines on stderr, or one JSON
// object per line on stdout with -o jsonl.
type progress struct {
	mu    sync.Mutex
	jsonl bool
	out   io.Writer
	err   io.Writer
	last  string
}

// progressPrinter shows a deploy's events and its outcome.
type progressPrinter interface {
	event(promote.Event)
	result(promote.Request, *promote.Result, error)
}

// newProgressFor picks the printer of env's deploy: -o jsonl and plain lines
// here, wrapped in GitHub Actions' workflow commands (ghactions.go), or a
// live view on a terminal and coloured lines (terminal.go).
func newProgressFor(g *GlobalOptions, env string) progressPrinter {
	p := &progress{jsonl: g.Output == "jsonl", out: g.Out, err: g.ErrOut}
	switch {
	case gitHubActions():
		return newGitHubProgress(p, g.ErrOut, env, os.Getenv("GITHUB_STEP_SUMMARY"))
	case !p.jsonl && (g.liveTerminal() || g.ColorEnabled(g.ErrOut)):
		return newTerminalProgress(g.ErrOut, env, g.liveTerminal(), g.ColorEnabled(g.ErrOut))
	}
	return p
}

type jsonEvent struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	Phase     string    `json:"phase,omitempty"`
	Message   string    `json:"message,omitempty"`
	Object    string    `json:"object,omitempty"`
	Workloads any       `json:"workloads,omitempty"`
	Revision  int       `json:"revision,omitempty"`
	Status    string    `json:"status,omitempty"`
	ExitCode  *int      `json:"exitCode,omitempty"`
}

func (p *progress) event(e promote.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.jsonl {
		je := jsonEvent{Time: e.Time, Type: "progress", Phase: e.Phase, Message: e.Message}
		if w := e.Watch; w != nil {
			je.Type, je.Object, je.Workloads = w.Type, w.Object, w.Workloads
		}
		p.writeJSON(je)
		return
	}
	line := e.Phase + ": " + e.Message
	if line == p.last { // the watch repeats itself while nothing changes
		return
	}
	p.last = line
	fmt.Fprintf(p.err, "%s %s\n", e.Time.Format("15:04:05"), line)
}

func (p *progress) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err == nil {
		fmt.Fprintf(p.out, "%s\n", b)
	}
}

func (p *progress) result(req promote.Request, res *promote.Result, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	code := exitcode.Code(err)
	rev, status := 0, ""
	if res != nil && res.Record != nil {
		rev, status = res.Record.Revision, string(res.Record.Status)
	}
	if p.jsonl {
		je := jsonEvent{Time: time.Now(), Type: "result", Revision: rev, Status: status, ExitCode: &code}
		if err != nil {
			je.Message = err.Error()
		}
		p.writeJSON(je)
		return
	}
	fmt.Fprintln(p.err, resultLine(req, res, err))
}

// resultLine is the closing line of a deploy.
func resultLine(req promote.Request, res *promote.Result, err error) string {
	switch {
	case err != nil:
		return fmt.Sprintf("error: %s: %v", req.Env.Name, err)
	case req.DryRun && res != nil && res.ChangeSet != nil:
		return fmt.Sprintf("%s: dry run: %s; nothing was changed", req.Env.Name, res.ChangeSet.Summary())
	case res != nil && res.Record != nil:
		return fmt.Sprintf("%s: revision %d %s", req.Env.Name, res.Record.Revision, res.Record.Status)
	}
	return req.Env.Name + ": done" // no record: not reached by Deploy today
}
