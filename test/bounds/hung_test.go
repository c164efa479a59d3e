package bounds

import (
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// hungServer accepts TCP connections and never answers, like an apiserver
// behind a dead proxy. It returns its address.
func hungServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// TestHungCluster: every command that talks to a cluster that accepts
// connections and never answers ends with exit 3 (never 0 or 1, which a CI
// job reads as "fine") and names the server — after --request-timeout, and
// after the bounded default without it (shortened here through
// KUBECTL_PROMOTE_ANSWER_TIMEOUT).
func TestHungCluster(t *testing.T) {
	addr := hungServer(t)
	dir := repo(t, "{kustomize: {path: app}}", map[string]string{
		"kubeconfig": `apiVersion: v1
kind: Config
clusters:
- name: hung
  cluster: {server: "http://` + addr + `"}
contexts:
- name: hung
  context: {cluster: hung, user: ci}
current-context: hung
users:
- name: ci
  user: {token: not-a-secret}
`,
	})
	kubeconfig := "KUBECONFIG=" + filepath.Join(dir, "kubeconfig")
	commands := [][]string{
		{"diff", "dev"},
		{"apply", "dev", "--yes"},
		{"status", "dev"},
		{"history", "dev"},
		{"envs"},
		{"undo", "dev", "--yes"},
		{"unlock", "dev", "--force"},
	}
	modes := []struct {
		name  string
		env   []string
		flags []string
	}{
		{name: "request timeout", env: []string{kubeconfig}, flags: []string{"--request-timeout=2s"}},
		{name: "default bound", env: []string{kubeconfig, "KUBECTL_PROMOTE_ANSWER_TIMEOUT=2s"}},
	}
	for _, m := range modes {
		for _, args := range commands {
			t.Run(m.name+"/"+strings.Join(args, " "), func(t *testing.T) {
				res := promote(t, dir, m.env, append(args, m.flags...)...)
				if res.code != 3 {
					t.Errorf("exit %d, want 3 (cluster error)\n%s", res.code, res.stderr)
				}
				if !strings.Contains(res.stderr, addr) {
					t.Errorf("the error does not name the cluster %s:\n%s", addr, res.stderr)
				}
			})
		}
	}
}
