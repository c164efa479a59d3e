package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a running Prometheus.
type Server struct {
	// Address is its HTTP API base, e.g. http://127.0.0.1:41234.
	Address string
	cmd     *exec.Cmd
	log     string
}

// Binary returns the prometheus binary: $PROMETHEUS, else from PATH.
func Binary() (string, error) {
	if p := os.Getenv("PROMETHEUS"); p != "" {
		return p, nil
	}
	p, err := exec.LookPath("prometheus")
	if err != nil {
		return "", fmt.Errorf("prometheus is not installed: run test/prometheus/install.sh (apt-get install prometheus) or set PROMETHEUS")
	}
	return p, nil
}

// Start runs Prometheus on loopback scraping targets (host:port) every
// second and stops it when the test ends. It fails the test, never skips
// it, when Prometheus is missing or does not become ready.
func Start(t testing.TB, targets ...string) *Server {
	t.Helper()
	return StartOn(t, "127.0.0.1", targets...)
}

// StartOn is Start listening on host, an IP address of this machine (see
// HostIP and Server.Expose).
func StartOn(t testing.TB, host string, targets ...string) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config(targets)), 0o644); err != nil {
		t.Fatal(err)
	}
	port, err := freePort(host)
	if err != nil {
		t.Fatal(err)
	}
	listen := net.JoinHostPort(host, strconv.Itoa(port))
	s := &Server{Address: "http://" + listen, log: filepath.Join(dir, "prometheus.log")}
	logf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		s.stop()
		_ = logf.Close()
	})
	if err := s.waitReady(t.Context(), 30*time.Second); err != nil {
		t.Fatalf("prometheus: %v\n%s", err, s.logTail())
	}
	return s
}

func config(targets []string) string {
	return fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
- job_name: test
  static_configs:
  - targets: ['%s']
`, strings.Join(targets, "', '"))
}

// stop ends the process and waits for it.
func (s *Server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

func (s *Server) waitReady(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if s.cmd.ProcessState != nil {
			return fmt.Errorf("exited")
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Address+"/-/ready", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("not ready after %s", d)
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Host returns host:port of a URL, for a scrape target.
func Host(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Host
}

// WaitForSeries waits until query gives a non-empty vector (for a rate,
// two scrapes), so a test does not measure before there is data.
func (s *Server) WaitForSeries(t testing.TB, query string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	u := s.Address + "/api/v1/query?" + url.Values{"query": {query}}.Encode()
	for {
		var body struct {
			Data struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			err = json.NewDecoder(resp.Body).Decode(&body)
			_ = resp.Body.Close()
			if err == nil && len(body.Data.Result) > 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus: no data for %s after %s", query, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
