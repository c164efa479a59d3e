package dashboard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// offline starts a dashboard whose one environment's cluster is
// unreachable: the security checks need no cluster.
func offline(t *testing.T, readOnly bool) (*Server, string) {
	t.Helper()
	p := &pipeline.Pipeline{Metadata: pipeline.Metadata{Name: "shop"}}
	p.Spec.Environments = []pipeline.Environment{{Name: "dev", Namespace: "shop-dev"}}
	s, err := New(Options{Pipeline: p, ReadOnly: readOnly, Environments: []Environment{{
		Env: &p.Spec.Environments[0], Context: "nowhere", Namespace: "shop-dev", Err: errors.New("context nowhere: no such cluster"),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return s, ln.Addr().String()
}

func TestGuard(t *testing.T) {
	s, addr := offline(t, false)
	_, port, _ := net.SplitHostPort(addr)
	const action = "/api/environments/dev/actions"
	body := `{"action":"resume"}`
	cases := []struct {
		name, method, path, host, origin, token, body string
		want                                          int
	}{
		{name: "page", method: "GET", path: "/", want: 200},
		{name: "page as localhost", method: "GET", path: "/", host: "localhost:" + port, want: 200},
		{name: "api", method: "GET", path: "/api/pipeline", want: 200},
		{name: "asset", method: "GET", path: "/static/app.js", want: 200},
		{name: "no such asset", method: "GET", path: "/static/nope.js", want: 404},
		{name: "rebound DNS name", method: "GET", path: "/api/pipeline", host: "evil.example:" + port, want: 403},
		{name: "post without token", method: "POST", path: action, body: body, want: 403},
		{name: "post with wrong token", method: "POST", path: action, token: strings.Repeat("0", 64), body: body, want: 403},
		{name: "post from another site", method: "POST", path: action, token: s.Token(), origin: "http://evil.example", body: body, want: 403},
		{name: "post from another port", method: "POST", path: action, token: s.Token(), origin: "http://127.0.0.1:1", body: body, want: 403},
		// Past the guard, the unreachable cluster answers.
		{name: "post from the page", method: "POST", path: action, token: s.Token(), origin: "http://" + addr, body: body, want: 502},
		{name: "post without origin", method: "POST", path: action, token: s.Token(), body: body, want: 502},
		{name: "unknown action", method: "POST", path: action, token: s.Token(), body: `{"action":"explode"}`, want: 400},
		{name: "unknown field", method: "POST", path: action, token: s.Token(), body: `{"action":"undo","force":true}`, want: 400},
		{name: "delete", method: "DELETE", path: "/api/pipeline", token: s.Token(), want: 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, text := do(t, addr, tc.method, tc.path, tc.host, tc.origin, tc.token, tc.body)
			if got != tc.want {
				t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, got, tc.want, text)
			}
		})
	}
}

func TestReadOnlyRefusesActions(t *testing.T) {
	s, addr := offline(t, true)
	got, text := do(t, addr, "POST", "/api/environments/dev/actions", "", "", s.Token(), `{"action":"resume"}`)
	if got != 403 || !strings.Contains(text, "--read-only") {
		t.Errorf("read-only POST: %d %s, want 403 naming --read-only", got, text)
	}
	_, page := do(t, addr, "GET", "/", "", "", "", "")
	if !strings.Contains(page, `name="promote-read-only" content="true"`) {
		t.Errorf("read-only page does not say so:\n%s", page)
	}
}

func TestPageCarriesTokenAndUnreachableEnvironment(t *testing.T) {
	s, addr := offline(t, false)
	_, page := do(t, addr, "GET", "/", "", "", "", "")
	if !strings.Contains(page, `content="`+s.Token()+`"`) {
		t.Error("the page does not carry the session token")
	}
	_, api := do(t, addr, "GET", "/api/pipeline", "", "", "", "")
	for _, want := range []string{`"name":"dev"`, `"reachable":false`, "no such cluster"} {
		if !strings.Contains(api, want) {
			t.Errorf("/api/pipeline lacks %s:\n%s", want, api)
		}
	}
}

func do(t *testing.T, addr, method, path, host, origin, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://"+addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if token != "" {
		req.Header.Set(TokenHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
