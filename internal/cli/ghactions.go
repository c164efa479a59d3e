package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// gitHubActions tells whether we run as a GitHub Actions step.
func gitHubActions() bool { return os.Getenv("GITHUB_ACTIONS") == "true" }

// gitHubProgress wraps the plain (or jsonl) printer with GitHub Actions'
// workflow commands: a collapsible ::group:: per environment and phase, an
// ::error:: annotation naming the failing object, ::warning:: for warnings,
// and a markdown summary of the deploy appended to $GITHUB_STEP_SUMMARY.
type gitHubProgress struct {
	mu      sync.Mutex
	inner   *progress
	w       io.Writer // the runner reads workflow commands from stderr too
	env     string
	summary string // $GITHUB_STEP_SUMMARY, may be empty
	// groups is false with -o jsonl: its lines go to stdout, not into ours.
	groups    bool
	group     string
	annotated bool // a failure annotation was written
}

func newGitHubProgress(inner *progress, w io.Writer, env, summary string) *gitHubProgress {
	return &gitHubProgress{inner: inner, w: w, env: env, summary: summary, groups: !inner.jsonl}
}

func (p *gitHubProgress) event(e promote.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.groups && e.Phase != p.group {
		p.endGroup()
		p.group = e.Phase
		fmt.Fprintf(p.w, "::group::%s\n", p.title(e.Phase))
	}
	p.inner.event(e)
	switch {
	case e.Watch != nil && e.Watch.Type == watch.EventFailure:
		p.annotate("error", "rollout failed", e.Watch.Message)
		p.annotated = true
	case strings.HasPrefix(e.Message, "warning: "):
		p.annotate("warning", e.Phase, strings.TrimPrefix(e.Message, "warning: "))
	}
}

func (p *gitHubProgress) result(req promote.Request, res *promote.Result, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endGroup()
	p.inner.result(req, res, err)
	if err != nil {
		p.annotateResult(err)
	}
	if p.summary == "" {
		return
	}
	if werr := appendFile(p.summary, stepSummary(req, res, err)); werr != nil {
		fmt.Fprintf(p.w, "::warning title=%s::%s\n", escapeProperty("step summary"), escapeData(werr.Error()))
	}
}

func (p *gitHubProgress) endGroup() {
	if p.group != "" {
		fmt.Fprintln(p.w, "::endgroup::")
		p.group = ""
	}
}

// title is "env: what", or what alone when the environment is unknown.
func (p *gitHubProgress) title(what string) string {
	if p.env == "" {
		return what
	}
	return p.env + ": " + what
}

// annotate writes one annotation: level error, warning or notice, titled
// "what in env".
func (p *gitHubProgress) annotate(level, what, msg string) {
	title := what
	if p.env != "" {
		title += " in " + p.env
	}
	fmt.Fprintf(p.w, "::%s title=%s::%s\n", level, escapeProperty(title), escapeData(msg))
}

// annotateResult annotates the outcome: after the failure itself was
// annotated, an undone rollout is a warning (the environment runs the
// previous release) and a failed undo an error; any other failure is one
// error titled by its exit code.
func (p *gitHubProgress) annotateResult(err error) {
	code := exitcode.Code(err)
	switch {
	case p.annotated && code == exitcode.RolledBack:
		p.annotate("warning", "rolled back", err.Error())
	case p.annotated && code == exitcode.UndoFailed:
		p.annotate("error", "undo failed", err.Error())
	default:
		p.annotate("error", failureTitle(code), err.Error())
	}
}

// failureTitle names an exit code as the README's table does.
func failureTitle(code int) string {
	switch code {
	case exitcode.BadInput:
		return "bad input"
	case exitcode.Cluster:
		return "cluster error"
	case exitcode.RolledBack:
		return "rollout failed"
	case exitcode.UndoFailed:
		return "rollout and undo failed"
	case exitcode.Blocked:
		return "blocked"
	}
	return "failed"
}

// escapeData escapes an annotation's message: one line, % kept literal.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value such as title=…, where ":" and
// "," are separators.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}

// stepSummary is the markdown of one deploy: headline, a table of facts,
// the artifacts and the changed objects.
func stepSummary(req promote.Request, res *promote.Result, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", summaryHeadline(req, res, err))
	b.WriteString("| | |\n|---|---|\n")
	for _, row := range summaryFacts(req, res, err) {
		fmt.Fprintf(&b, "| **%s** | %s |\n", row[0], row[1])
	}
	b.WriteString("\n")
	writeArtifacts(&b, summaryArtifacts(req, res))
	if res != nil && res.ChangeSet != nil {
		writeChanges(&b, res.ChangeSet)
	}
	return b.String()
}

func summaryHeadline(req promote.Request, res *promote.Result, err error) string {
	env := req.Env.Name
	rec := record(res)
	switch {
	case err != nil && rec != nil:
		return fmt.Sprintf("❌ %s: revision %d %s (exit code %d)", env, rec.Revision, statusPhrase(rec.Status), exitcode.Code(err))
	case err != nil:
		return fmt.Sprintf("❌ %s: %s (exit code %d)", env, failureTitle(exitcode.Code(err)), exitcode.Code(err))
	case req.DryRun:
		return fmt.Sprintf("🔍 %s: dry run, nothing was changed", env)
	case rec != nil:
		return fmt.Sprintf("✅ %s: revision %d %s", env, rec.Revision, rec.Status)
	}
	return "✅ " + env
}

// statusPhrase says a failed release's status in words.
func statusPhrase(s release.Status) string {
	switch s {
	case release.RolledBack:
		return "failed and was undone"
	case release.UndoFailed:
		return "failed, and the undo failed too"
	case release.Interrupted:
		return "was interrupted"
	}
	return string(s)
}

func record(res *promote.Result) *release.Record {
	if res == nil {
		return nil
	}
	return res.Record
}

// summaryFacts are the rows of the summary's table, those that apply.
func summaryFacts(req promote.Request, res *promote.Result, err error) [][2]string {
	rows := [][2]string{{"Pipeline", cell(req.Pipeline)}, {"Namespace", code(req.Namespace)}}
	if req.Env.Strategy.Name() != "" {
		rows = append(rows, [2]string{"Strategy", req.Env.Strategy.Name()})
	}
	if res != nil && res.Previous != nil {
		rows = append(rows, [2]string{"Previous release", fmt.Sprintf("revision %d", res.Previous.Revision)})
	}
	if res != nil && res.ChangeSet != nil {
		rows = append(rows, [2]string{"Diff", res.ChangeSet.Summary()})
	}
	return append(rows, outcomeFacts(record(res), err)...)
}

// outcomeFacts say how the rollout ended: failure, undo, duration, error.
func outcomeFacts(rec *release.Record, err error) [][2]string {
	var rows [][2]string
	if rec != nil && rec.Failure != nil {
		f := rec.Failure
		rows = append(rows, [2]string{"Failure", code((&watch.Failure{Object: f.Object, Container: f.Container, Reason: f.Reason, Message: f.Message}).Error())})
	}
	if rec != nil && rec.RolledBackTo > 0 {
		rows = append(rows, [2]string{"Undone", fmt.Sprintf("revision %d runs again", rec.RolledBackTo)})
	}
	if rec != nil && !rec.Started.IsZero() && !rec.Finished.IsZero() {
		rows = append(rows, [2]string{"Duration", rec.Finished.Sub(rec.Started).Round(1e9).String()})
	}
	if err != nil {
		rows = append(rows, [2]string{"Error", code(err.Error())})
	}
	return rows
}

func summaryArtifacts(req promote.Request, res *promote.Result) []release.Artifact {
	if rec := record(res); rec != nil && len(rec.Artifacts) > 0 {
		return rec.Artifacts
	}
	return req.Artifacts
}

func writeArtifacts(b *strings.Builder, arts []release.Artifact) {
	if len(arts) == 0 {
		return
	}
	b.WriteString("**Artifacts**\n\n| type | name | reference |\n|---|---|---|\n")
	for _, a := range arts {
		fmt.Fprintf(b, "| %s | %s | %s |\n", cell(a.Type), cell(a.Name), code(a.Ref))
	}
	b.WriteString("\n")
}

// maxSummaryChanges bounds the changes listed (the step summary is capped
// at 1 MiB per step).
const maxSummaryChanges = 50

func writeChanges(b *strings.Builder, cs *diff.ChangeSet) {
	var changed []diff.Change
	for _, c := range cs.Changes {
		if c.Action != diff.Unchanged {
			changed = append(changed, c)
		}
	}
	if len(changed) == 0 {
		return
	}
	fmt.Fprintf(b, "<details><summary>Changed objects: %d</summary>\n\n| action | object |\n|---|---|\n", len(changed))
	for i, c := range changed {
		if i == maxSummaryChanges {
			fmt.Fprintf(b, "| | … and %d more |\n", len(changed)-i)
			break
		}
		fmt.Fprintf(b, "| %s | %s |\n", c.Action, code(c.Ref.String()))
	}
	b.WriteString("\n</details>\n\n")
}

// cell makes text safe inside a markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
}

// code is cell as inline code; a backtick inside ends the span, so it goes.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + cell(strings.ReplaceAll(s, "`", "'")) + "`"
}
