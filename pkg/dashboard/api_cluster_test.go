package dashboard_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/dashboard"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	dashboardtest "github.com/kubectl-promote/kubectl-promote/test/dashboard"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

func TestMain(m *testing.M) { localcluster.Main(m) }

// Given dev released once, when the pipeline is read, then both
// environments come in order with revision, health, gates and what can be
// promoted, and nothing carries the Secret's value.
func TestAPIPipeline(t *testing.T) {
	f := dashboardtest.New(t, dashboardtest.Options{})
	f.MustDeploy("dev")
	f.WaitView("dev", "revision 1 healthy", func(v *dashboard.EnvView) bool {
		return v.Current != nil && v.Current.Revision == 1 && v.Health == promote.Healthy
	})
	f.WaitView("staging", "dev's revision 1 as promotable", func(v *dashboard.EnvView) bool { return v.Promotable })

	var p dashboard.PipelineView
	if code := f.Get("/api/pipeline", &p); code != http.StatusOK {
		t.Fatalf("GET /api/pipeline: %d", code)
	}
	type row struct {
		Name, Health, Strategy string
		Revision, Upstream     int
		Promotable, Approval   bool
		Artifacts              string
	}
	var got []row
	for _, v := range p.Environments {
		r := row{Name: v.Name, Health: v.Health, Strategy: v.Strategy, Upstream: v.UpstreamRevision,
			Promotable: v.Promotable, Approval: v.Gates.Approval}
		if v.Current != nil {
			r.Revision = v.Current.Revision
			r.Artifacts = v.Current.Artifacts[0].Ref
		}
		got = append(got, r)
	}
	want := []row{
		{Name: "dev", Health: promote.Healthy, Strategy: "rolling", Revision: 1, Artifacts: "registry.example.com/shop/web:1.0"},
		{Name: "staging", Health: dashboard.HealthNone, Strategy: "canary", Upstream: 1, Promotable: true, Approval: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("/api/pipeline (-want +got):\n%s", d)
	}
	var h dashboard.HistoryView
	if code := f.Get("/api/environments/dev/history", &h); code != http.StatusOK || len(h.Releases) != 1 || h.Releases[0].Status != release.Succeeded {
		t.Errorf("dev history: %d %+v, want one succeeded release", code, h)
	}
	var d dashboard.DiffView
	if code := f.Get("/api/environments/staging/diff", &d); code != http.StatusOK || !d.HasDifferences || d.UpstreamRevision != 1 ||
		!strings.Contains(d.Text, "Deployment/"+f.Namespaces["staging"]+"/web") || !strings.Contains(d.Text, "Secret/"+f.Namespaces["staging"]+"/web-credentials") {
		t.Errorf("staging's next promotion: %d %+v; want dev revision 1 creating web and web-credentials", code, d)
	}
	for _, path := range []string{"/", "/api/pipeline", "/api/environments/dev", "/api/environments/dev/history", "/api/environments/staging/diff"} {
		assertNoSecret(t, path, getText(t, f.URL+path))
	}
	if code := f.Get("/api/environments/prod", nil); code != http.StatusNotFound {
		t.Errorf("unknown environment: %d, want 404", code)
	}
}

// Given dev released, when staging is promoted from the page, then without
// approval it is blocked (exit 6) and nothing is released; with it the
// release records the approver and the source revision.
func TestAPIPromoteRecordsApproval(t *testing.T) {
	f := dashboardtest.New(t, dashboardtest.Options{})
	f.MustDeploy("dev")
	f.WaitView("staging", "dev's revision 1 as promotable", func(v *dashboard.EnvView) bool { return v.Promotable })

	blocked := f.Act("staging", dashboard.ActionRequest{Action: dashboard.ActionPromote})
	if blocked.State != dashboard.StateFailed || blocked.ExitCode != exitcode.Blocked {
		t.Fatalf("promote without approval: %s, exit %d (%s); want failed with exit %d", blocked.State, blocked.ExitCode, blocked.Error, exitcode.Blocked)
	}
	if rec, err := f.Store("staging").Latest(t.Context()); err != nil || rec != nil {
		t.Fatalf("a blocked promotion left a record: %v %v", rec, err)
	}
	done := f.Act("staging", dashboard.ActionRequest{Action: dashboard.ActionPromote, Approve: true, Approver: "alice"})
	if done.State != dashboard.StateSucceeded {
		t.Fatalf("approved promotion: %s: %s (events %+v)", done.State, done.Error, done.Events)
	}
	if len(done.Events) == 0 {
		t.Error("the promotion reported no progress")
	}
	rec, err := f.Store("staging").Get(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{rec.Status, rec.Approver, rec.Source.Environment, rec.Source.Revision}
	if d := cmp.Diff([]any{release.Succeeded, "alice", "dev", 1}, got); d != "" {
		t.Errorf("staging revision 1 (-want +got):\n%s", d)
	}
	f.WaitView("staging", "up to date with dev", func(v *dashboard.EnvView) bool {
		return v.Current != nil && !v.Promotable
	})
}

// Given a canary paused at 25%, the event stream shows it; a resume from the
// page moves it to its next pause at 50%, shown again without asking, and
// a second resume finishes the release.
func TestAPIResumeStreamsCanarySteps(t *testing.T) {
	f := dashboardtest.New(t, dashboardtest.Options{})
	f.MustDeploy("staging")
	events := subscribe(t, f.URL)
	f.WriteApp("staging", "2.0")
	driver := f.DeployInBackground("staging")
	f.WaitState("staging", "paused at 25%", dashboardtest.PausedAt(25))
	events.waitFor(t, "staging paused at 25%", canaryAt(25))

	if a := f.Act("staging", dashboard.ActionRequest{Action: dashboard.ActionResume}); a.State != dashboard.StateSucceeded {
		t.Fatalf("resume: %s: %s", a.State, a.Error)
	}
	f.WaitState("staging", "paused at 50%", dashboardtest.PausedAt(50))
	events.waitFor(t, "staging paused at 50%", canaryAt(50))

	if a := f.Act("staging", dashboard.ActionRequest{Action: dashboard.ActionResume}); a.State != dashboard.StateSucceeded {
		t.Fatalf("second resume: %s: %s", a.State, a.Error)
	}
	select {
	case err := <-driver:
		if err != nil {
			t.Fatalf("the canary's deploy: %v", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the canary did not finish after the second resume")
	}
	events.waitFor(t, "staging at revision 2", func(v *dashboard.EnvView) bool {
		return v.Name == "staging" && v.Current != nil && v.Current.Revision == 2 && v.Rollout == nil
	})
	assertNoSecret(t, "/api/events", events.text())
}

// Given two succeeded releases, when undo goes back to revision 1 from the
// page, then revision 3 runs revision 1's artifacts.
func TestAPIUndoToRevision(t *testing.T) {
	f := dashboardtest.New(t, dashboardtest.Options{})
	f.MustDeploy("dev")
	f.WriteApp("dev", "2.0")
	f.MustDeploy("dev")
	a := f.Act("dev", dashboard.ActionRequest{Action: dashboard.ActionUndo, Revision: 1})
	if a.State != dashboard.StateSucceeded {
		t.Fatalf("undo: %s: %s", a.State, a.Error)
	}
	rec, err := f.Store("dev").Get(t.Context(), 3)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{rec.Status, rec.Artifacts[0].Ref, rec.Source.Revision}
	if d := cmp.Diff([]any{release.Succeeded, "registry.example.com/shop/web:1.0", 1}, got); d != "" {
		t.Errorf("dev revision 3 (-want +got):\n%s", d)
	}
}

func canaryAt(w int) func(*dashboard.EnvView) bool {
	return func(v *dashboard.EnvView) bool {
		return v.Name == "staging" && v.Rollout != nil && v.Rollout.Paused && v.Rollout.Weights["canary"] == w
	}
}

// stream collects the environment events of /api/events.
type stream struct {
	mu    sync.Mutex
	views []*dashboard.EnvView
	raw   strings.Builder
	more  chan struct{}
}

func subscribe(t *testing.T, url string) *stream {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("/api/events: Content-Type %q", ct)
	}
	s := &stream{more: make(chan struct{}, 1)}
	go s.read(resp)
	t.Cleanup(func() { resp.Body.Close() })
	return s
}

func (s *stream) read(resp *http.Response) {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		s.raw.WriteString(line + "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == dashboard.EventEnvironment:
			var v dashboard.EnvView
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &v) == nil {
				s.views = append(s.views, &v)
			}
		}
		s.mu.Unlock()
		select {
		case s.more <- struct{}{}:
		default:
		}
	}
}

func (s *stream) waitFor(t *testing.T, what string, ok func(*dashboard.EnvView) bool) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		s.mu.Lock()
		for _, v := range s.views {
			if ok(v) {
				s.mu.Unlock()
				return
			}
		}
		s.mu.Unlock()
		select {
		case <-s.more:
		case <-timeout:
			t.Fatalf("no event showed %s", what)
		}
	}
}

func (s *stream) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String()
}

func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range []string{dashboardtest.SecretValue, base64.StdEncoding.EncodeToString([]byte(dashboardtest.SecretValue))} {
		if strings.Contains(text, s) {
			t.Errorf("%s carries the Secret's value", where)
		}
	}
}
