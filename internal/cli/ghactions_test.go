package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// t0 is the fixed start of every scripted deploy.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// deployScript is a fixed sequence of events and the deploy's outcome.
type deployScript struct {
	req    promote.Request
	events []promote.Event
	res    *promote.Result
	err    error
}

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func ev(sec int, phase, msg string) promote.Event {
	return promote.Event{Time: at(sec), Phase: phase, Message: msg}
}

func watchEv(sec int, typ, object, msg string, ws ...watch.WorkloadStatus) promote.Event {
	w := &watch.Event{Time: at(sec), Type: typ, Object: object, Message: msg, Workloads: ws}
	return promote.Event{Time: at(sec), Phase: "watch", Message: msg, Watch: w}
}

func web(ready, updated int32, status, msg string) watch.WorkloadStatus {
	return watch.WorkloadStatus{Object: "Deployment/shop-dev/web", Desired: 3, Updated: updated, Ready: ready, Available: ready, Status: status, Message: msg}
}

func api(ready int32, status string) watch.WorkloadStatus {
	return watch.WorkloadStatus{Object: "Deployment/shop-dev/api", Desired: 1, Updated: 1, Ready: ready, Available: ready, Status: status}
}

func scriptRequest(dryRun bool) promote.Request {
	env := &pipeline.Environment{Name: "dev", Namespace: "shop-dev"}
	return promote.Request{
		Pipeline: "shop", Env: env, Namespace: "shop-dev", DryRun: dryRun,
		Artifacts: []release.Artifact{
			{Type: "image", Name: "ghcr.io/acme/web", Ref: "ghcr.io/acme/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
			{Type: "image", Name: "ghcr.io/acme/api", Ref: "ghcr.io/acme/api:1.4.2"},
		},
	}
}

func scriptChangeSet() *diff.ChangeSet {
	ref := func(kind, name string) kube.ObjectRef {
		return kube.ObjectRef{Group: "apps", Version: "v1", Kind: kind, Namespace: "shop-dev", Name: name}
	}
	return &diff.ChangeSet{Changes: []diff.Change{
		{Ref: ref("ConfigMap", "web-config-7g2k"), Action: diff.Created},
		{Ref: ref("Deployment", "web"), Action: diff.Configured},
		{Ref: ref("Deployment", "api"), Action: diff.Unchanged},
		{Ref: ref("ConfigMap", "web-config-5h9d"), Action: diff.Deleted},
	}}
}

func startEvents() []promote.Event {
	return []promote.Event{
		ev(0, "lock", "taking the lock of shop-dev/dev"),
		ev(1, "dry-run", "server-side dry-run of 4 objects"),
		ev(1, "dry-run", "1 to create, 1 to change, 1 to delete, 1 unchanged"),
		ev(2, "apply", "applied 3 objects"),
		ev(2, "prune", "deleted ConfigMap/shop-dev/web-config-5h9d"),
		watchEv(3, watch.EventProgress, "", "Deployment/shop-dev/web: Updated: 1/3", web(0, 1, "InProgress", "Updated: 1/3"), api(1, "Current")),
		watchEv(5, watch.EventProgress, "", "Deployment/shop-dev/web: Ready: 2/3", web(2, 3, "InProgress", "Ready: 2/3"), api(1, "Current")),
	}
}

var crash = &watch.Failure{Object: "Pod/shop-dev/web-7d9f-abcde", Container: "web", Reason: "CrashLoopBackOff",
	Message: "back-off 10s restarting failed container=web pod=web-7d9f-abcde_shop-dev(…)"}

func failureEvent() promote.Event {
	return watchEv(8, watch.EventFailure, crash.Object, crash.Error())
}

func succeeded() deployScript {
	evs := append(startEvents(),
		watchEv(6, watch.EventVerifying, "", "all 5 objects Current; verifying for 10s", web(3, 3, "Current", "Ready: 3/3"), api(1, "Current")),
		watchEv(16, watch.EventHealthy, "", "healthy for 10s", web(3, 3, "Current", "Ready: 3/3"), api(1, "Current")),
		ev(16, "done", "revision 4 succeeded"),
	)
	rec := &release.Record{Revision: 4, Status: release.Succeeded, Started: at(0), Finished: at(16), Artifacts: scriptRequest(false).Artifacts}
	return deployScript{req: scriptRequest(false), events: evs,
		res: &promote.Result{Record: rec, ChangeSet: scriptChangeSet(), Previous: &release.Record{Revision: 3}}}
}

func rolledBack() deployScript {
	evs := append(startEvents(), failureEvent(),
		ev(8, "undo", "revision 4 failed: "+crash.Error()),
		ev(9, "undo", "warning: recording revision 4: the server is currently unable to handle the request"),
		ev(12, "undo", "revision 3 is healthy again"),
	)
	rec := &release.Record{Revision: 4, Status: release.RolledBack, Started: at(0), Finished: at(12), RolledBackTo: 3,
		Failure: &release.Failure{Object: crash.Object, Container: crash.Container, Reason: crash.Reason, Message: crash.Message}}
	err := exitcode.With(exitcode.RolledBack, fmt.Errorf("revision 4 failed and was undone: %w", crash))
	return deployScript{req: scriptRequest(false), events: evs, err: err,
		res: &promote.Result{Record: rec, ChangeSet: scriptChangeSet(), Previous: &release.Record{Revision: 3}}}
}

func undoFailed() deployScript {
	s := rolledBack()
	s.events = append(s.events[:len(s.events)-1], ev(40, "undo", "warning: Deployment/shop-dev/web: re-apply: forbidden"))
	s.res.Record.Status, s.res.Record.RolledBackTo = release.UndoFailed, 0
	s.err = exitcode.With(exitcode.UndoFailed, fmt.Errorf("revision 4 failed: %w; and the undo failed too: %v", crash,
		errors.New("Deployment/shop-dev/web: deployments.apps \"web\" is forbidden")))
	return s
}

func locked() deployScript {
	err := exitcode.With(exitcode.Blocked, errors.New("environment dev is locked by ci@runner-7 (pid 4242, https://github.com/acme/shop/actions/runs/1), since 09:20:00"))
	return deployScript{req: scriptRequest(false), events: startEvents()[:1], err: err}
}

func dryRun() deployScript {
	return deployScript{req: scriptRequest(true), events: startEvents()[1:3],
		res: &promote.Result{ChangeSet: scriptChangeSet(), Previous: &release.Record{Revision: 3}}}
}

// play feeds s to pr.
func (s deployScript) play(pr progressPrinter) {
	for _, e := range s.events {
		pr.event(e)
	}
	pr.result(s.req, s.res, s.err)
}

func TestGitHubActionsGolden(t *testing.T) {
	tests := []struct {
		name   string
		script deployScript
		jsonl  bool
	}{
		{"succeeded", succeeded(), false},
		{"rolled-back", rolledBack(), false},
		{"undo-failed", undoFailed(), false},
		{"locked", locked(), false},
		{"dry-run", dryRun(), false},
		{"rolled-back-jsonl", rolledBack(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			summary := filepath.Join(t.TempDir(), "step_summary.md")
			inner := &progress{jsonl: tt.jsonl, out: &out, err: &errOut}
			tt.script.play(newGitHubProgress(inner, &errOut, "dev", summary))
			md, err := os.ReadFile(summary)
			if err != nil {
				t.Fatal(err)
			}
			checkWorkflowCommands(t, errOut.String())
			testutil.Golden(t, filepath.Join("testdata", "ghactions", tt.name+".golden"),
				"== stderr ==\n"+errOut.String()+"== stdout ==\n"+stableJSONTimes(out.String())+"== $GITHUB_STEP_SUMMARY ==\n"+string(md))
		})
	}
}

// resultTime matches the wall-clock time of the jsonl result line.
var resultTime = regexp.MustCompile(`"time":"[^"]*","type":"result"`)

func stableJSONTimes(s string) string {
	return resultTime.ReplaceAllString(s, `"time":"<now>","type":"result"`)
}

// checkWorkflowCommands checks that groups nest properly and close, and that
// every command is one well-formed line.
func checkWorkflowCommands(t *testing.T, out string) {
	t.Helper()
	command := regexp.MustCompile(`^::(group|endgroup|error|warning|notice)( title=[^:,]*)?::`)
	open := false
	for n, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "::") {
			continue
		}
		m := command.FindStringSubmatch(line)
		switch {
		case m == nil:
			t.Errorf("line %d: malformed workflow command %q", n+1, line)
		case m[1] == "group" && open:
			t.Errorf("line %d: ::group:: inside an open group", n+1)
		case m[1] == "endgroup" && !open:
			t.Errorf("line %d: ::endgroup:: without a group", n+1)
		}
		if m != nil && (m[1] == "group" || m[1] == "endgroup") {
			open = m[1] == "group"
		}
	}
	if open {
		t.Error("a ::group:: is left open")
	}
}

func TestGitHubActionsSummaryAppends(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "step_summary.md")
	if err := os.WriteFile(summary, []byte("# earlier step output\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range []deployScript{succeeded(), rolledBack()} {
		var errOut bytes.Buffer
		s.play(newGitHubProgress(&progress{err: &errOut}, &errOut, "dev", summary))
	}
	md, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`(?m)^(# .*|### .*)$`).FindAllString(string(md), -1)
	want := []string{"# earlier step output", "### ✅ dev: revision 4 succeeded", "### ❌ dev: revision 4 failed and was undone (exit code 4)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headings (-want +got):\n%s", diff)
	}
}

func TestGitHubActionsUnwritableSummary(t *testing.T) {
	var errOut bytes.Buffer
	s := succeeded()
	s.play(newGitHubProgress(&progress{err: &errOut}, &errOut, "dev", filepath.Join(t.TempDir(), "missing", "summary.md")))
	if !strings.Contains(errOut.String(), "::warning title=step summary::") {
		t.Errorf("no warning about the step summary in:\n%s", errOut.String())
	}
}

func TestGitHubActionsEscaping(t *testing.T) {
	tests := []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"50% done\r\nnext", "50%25 done%0D%0Anext", "50%25 done%0D%0Anext"},
		{"rollout failed, in dev: twice", "rollout failed, in dev: twice", "rollout failed%2C in dev%3A twice"},
	}
	for _, tt := range tests {
		if got := escapeData(tt.in); got != tt.data {
			t.Errorf("escapeData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := escapeProperty(tt.in); got != tt.prop {
			t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.prop)
		}
	}
}

func TestMarkdownCells(t *testing.T) {
	tests := []struct{ in, cell, code string }{
		{"a|b", `a\|b`, "`a\\|b`"},
		{"two\nlines", "two lines", "`two lines`"},
		{"tick`s", "tick`s", "`tick's`"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := cell(tt.in); got != tt.cell {
			t.Errorf("cell(%q) = %q, want %q", tt.in, got, tt.cell)
		}
		if got := code(tt.in); got != tt.code {
			t.Errorf("code(%q) = %q, want %q", tt.in, got, tt.code)
		}
	}
}

// TestProgressChoice checks which printer a deploy gets from its
// environment: GitHub Actions wins, a pipe gets plain lines.
func TestProgressChoice(t *testing.T) {
	tests := []struct {
		name, actions, output, color string
		want                         string
	}{
		{"pipe", "", "text", "auto", "*cli.progress"},
		{"pipe jsonl", "", "jsonl", "auto", "*cli.progress"},
		{"pipe colour forced", "", "text", "always", "*cli.terminalProgress"},
		{"github", "true", "text", "auto", "*cli.gitHubProgress"},
		{"github jsonl", "true", "jsonl", "auto", "*cli.gitHubProgress"},
		{"github false", "false", "text", "auto", "*cli.progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GITHUB_ACTIONS", tt.actions)
			var buf bytes.Buffer
			g := NewGlobalOptions(genericiooptions.IOStreams{Out: &buf, ErrOut: &buf})
			g.Output, g.Color = tt.output, tt.color
			if got := fmt.Sprintf("%T", newProgressFor(g, "dev")); got != tt.want {
				t.Errorf("printer = %s, want %s", got, tt.want)
			}
		})
	}
}
