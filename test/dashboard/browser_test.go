package dashboardtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubectl-promote/kubectl-promote/pkg/dashboard"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

func TestMain(m *testing.M) { localcluster.Main(m) }

// chromium is Debian's browser, installed by test/dashboard/install.sh
// (make test-deps); $CHROMIUM overrides it.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no Chromium at %s (%v): run test/dashboard/install.sh (make test-deps) or set $CHROMIUM", path, err)
	}
	return path
}

// browser starts a headless Chromium of its own, with a fresh profile and
// nothing that reaches the network by itself, for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1360, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), opts...)
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first call starts the browser, which lives as long as its
	// context: no deadline on this one.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("browser: start %s: %v", chromium(t), err)
	}
	return ctx
}

// run runs browser steps with a deadline, failing the test with what.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting a promise).
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browser: evaluate %s: %v", js, err)
	}
	return v
}

// waitText waits until the text of selector contains want.
func waitText(t *testing.T, ctx context.Context, selector, want string) {
	t.Helper()
	js := `(() => { const e = document.querySelector(` + quote(selector) + `); return e ? e.innerText : ""; })()`
	deadline := time.Now().Add(60 * time.Second)
	got := ""
	for time.Now().Before(deadline) {
		got = eval[string](t, ctx, js)
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("browser: %s never showed %q; last text %q", selector, want, got)
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// Given dev and staging released, the pipeline page lists both with
// revision and health; a canary started later shows up and its weight
// changes without a reload; resume, confirmed in the page, moves the
// paused canary on in the cluster; a POST without the token is refused;
// a screenshot is kept.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	var latency atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"latency": 0.%d}`, 12+7*latency.Add(1))
	}))
	t.Cleanup(srv.Close)
	f := New(t, Options{AnalysisURL: srv.URL})
	f.MustDeploy("dev")
	f.MustDeploy("staging")

	run(t, ctx, "open the dashboard", chromedp.Navigate(f.URL+"/"), chromedp.WaitVisible("#env-staging"))
	// A reload would drop this mark.
	eval[string](t, ctx, `window.noReload = "kept"`)
	for _, env := range []string{"dev", "staging"} {
		waitText(t, ctx, "#env-"+env+" .revision dd", "revision 1")
		waitText(t, ctx, "#env-"+env+" .health dd", "Healthy")
	}
	waitText(t, ctx, "#connection", "Live")

	f.WriteApp("staging", "2.0")
	driver := f.DeployInBackground("staging")
	f.WaitState("staging", "paused at 25%", PausedAt(25))
	waitText(t, ctx, "#env-staging .weight-value", "25%")
	waitText(t, ctx, "#env-staging .rollout dd", "paused")

	run(t, ctx, "resume, confirmed",
		chromedp.Click("#env-staging button.resume"),
		chromedp.WaitVisible("#confirm"),
		chromedp.Click("#confirm-ok"))
	f.WaitState("staging", "paused at 50% after the page's resume", PausedAt(50))
	waitText(t, ctx, "#env-staging .weight-value", "50%")
	waitText(t, ctx, "#actions", "resume staging")
	waitText(t, ctx, "#actions .action-succeeded", "done")

	status := eval[int](t, ctx, `fetch("/api/environments/staging/actions", {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"action":"abort"}'}).then(r => r.status)`)
	if status != 403 {
		t.Errorf("a POST without the session token got %v, want 403", status)
	}
	f.WaitState("staging", "still paused at 50%", PausedAt(50))

	run(t, ctx, "show staging's history", chromedp.Click("#env-staging button.details"))
	waitText(t, ctx, "#history tbody", "progressing")
	run(t, ctx, "show dev's history", chromedp.Click("#env-dev button.details"))
	waitText(t, ctx, "#details-title", "History of dev")
	waitText(t, ctx, "#analysis", "latency: ✓ Successful")
	screenshot(t, ctx)

	if kept := eval[string](t, ctx, `window.noReload || ""`); kept != "kept" {
		t.Error("the page was reloaded: live updates must arrive without one")
	}
	finish(t, f, driver)
}

// finish resumes the canary to its end, so that the test leaves no
// rollout behind.
func finish(t *testing.T, f *Fixture, driver <-chan error) {
	t.Helper()
	if a := f.Act("staging", dashboard.ActionRequest{Action: dashboard.ActionResume}); a.State != dashboard.StateSucceeded {
		t.Fatalf("final resume: %s: %s", a.State, a.Error)
	}
	select {
	case err := <-driver:
		if err != nil {
			t.Fatalf("the canary's deploy: %v", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("the canary did not finish")
	}
}

// screenshot writes the page as PNG under the test's artifact directory
// (kept with `go test -artifacts`) and, when $DASHBOARD_SCREENSHOT names a
// file, there too (make dashboard-screenshot).
func screenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browser: screenshot: %v", err)
	}
	paths := []string{filepath.Join(t.ArtifactDir(), "dashboard.png")}
	if p := os.Getenv("DASHBOARD_SCREENSHOT"); p != "" {
		paths = append(paths, p)
	}
	for _, p := range paths {
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", p, len(png))
	}
}

// Given a blue-green rollout state in dev's namespace, as the strategy
// stores it, the card names the colour serving and the preview; once the
// state says switched it names the new colour active and the old one
// kept; the page follows both without a reload.
func TestBrowserBlueGreenColours(t *testing.T) {
	ctx := browser(t)
	f := New(t, Options{})
	store := f.Store("dev")
	st := &release.State{Strategy: release.StrategyBlueGreen, Phase: rollout.PhasePreview, Step: 1, Steps: 3,
		BlueGreen: &release.BlueGreenState{From: "blue", To: "green"}}
	rv, err := store.SaveState(t.Context(), st, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.ClearState(context.WithoutCancel(t.Context())) })

	run(t, ctx, "open the dashboard", chromedp.Navigate(f.URL+"/"), chromedp.WaitVisible("#env-dev"))
	waitText(t, ctx, "#env-dev .rollout dd", "active blue, preview green")

	st.Phase, st.Step, st.Weights = rollout.PhaseSwitched, 3, map[string]int{"green": 100, "blue": 0}
	st.BlueGreen.ScaleDownAt = time.Now().Add(time.Hour)
	if _, err := store.SaveState(t.Context(), st, rv); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#env-dev .rollout dd", "active green, blue kept until")
	waitText(t, ctx, "#env-dev .weight-value", "100%")
}
