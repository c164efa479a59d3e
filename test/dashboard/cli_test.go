package dashboardtest

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/internal/cli"
	"github.com/kubectl-promote/kubectl-promote/pkg/dashboard"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// serveCLI runs `kubectl promote dashboard` with args until the test ends
// and returns the URL it printed.
func serveCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, w := io.Pipe()
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: w, ErrOut: testLog{t}}
	root := cli.NewRootCommand(streams)
	root.SetArgs(append([]string{"dashboard"}, args...))
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); w.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dashboard command: %v", err)
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	select {
	case url := <-lines:
		if !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("dashboard printed %q, want a loopback URL", url)
		}
		return strings.TrimSuffix(url, "/")
	case err := <-done:
		t.Fatalf("dashboard command ended before printing its URL: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("dashboard command printed no URL")
	}
	return ""
}

// Given dev released, `kubectl promote dashboard` with the admin's
// kubeconfig shows its revision, and with a user whom RBAC allows nothing
// it shows "forbidden" instead of failing.
func TestCommand(t *testing.T) {
	f := New(t, Options{})
	f.MustDeploy("dev")
	c := localcluster.Shared(t)
	file := filepath.Join(f.Dir, "promote.yaml")

	admin := &Fixture{T: t, URL: serveCLI(t, "-f", file, "--kubeconfig", c.Kubeconfig, "--read-only")}
	admin.WaitView("dev", "revision 1 healthy", func(v *dashboard.EnvView) bool {
		return v.Current != nil && v.Current.Revision == 1 && v.Health == promote.Healthy
	})
	if code, body := admin.Post("/api/environments/dev/actions", dashboard.ActionRequest{Action: "undo"}, nil); code != http.StatusForbidden {
		t.Errorf("POST to a --read-only dashboard: %d %s, want 403", code, body)
	}

	nobody := &Fixture{T: t, URL: serveCLI(t, "-f", file, "--kubeconfig", c.UserKubeconfig(t, "nobody"))}
	v := nobody.WaitView("dev", "forbidden", func(v *dashboard.EnvView) bool {
		return strings.HasPrefix(v.Error, "forbidden: ")
	})
	if !v.Reachable || v.Current != nil {
		t.Errorf("forbidden view: reachable %v, current %+v; want reachable and no release", v.Reachable, v.Current)
	}
}
