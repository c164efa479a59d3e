package localcluster

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Versions of the components in the binary. They are part of its stamp, so
// bumping one (with the components go.mod) forces a rebuild.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.7.3"
	KwokVersion       = "v0.8.0"
)

// ldflags stamps the versions in. Without them the apiserver reports
// v0.0.0-master+$Format:%H$, which kubectl and Helm cannot parse
// (docs/localcluster.md). Keep them byte-identical to the Makefile's so the Go build
// cache is shared.
var ldflags = strings.Join([]string{
	"-s", "-w",
	"-X k8s.io/component-base/version.gitVersion=" + KubernetesVersion,
	"-X k8s.io/component-base/version.gitMajor=1",
	"-X k8s.io/component-base/version.gitMinor=37",
	"-X k8s.io/component-base/version.gitTreeState=clean",
	"-X k8s.io/component-base/version.gitCommit=0000000000000000000000000000000000000000",
	"-X k8s.io/component-base/version.buildDate=2026-01-01T00:00:00Z",
	"-X k8s.io/client-go/pkg/version.gitVersion=" + KubernetesVersion,
	"-X k8s.io/client-go/pkg/version.gitMajor=1",
	"-X k8s.io/client-go/pkg/version.gitMinor=37",
	"-X main.version=" + binaryVersion,
}, " ")

const binaryVersion = "k8s-" + KubernetesVersion + "-etcd-" + EtcdVersion + "-kwok-" + KwokVersion

// progressEvery is how often a running build reports that it is alive.
const progressEvery = 20 * time.Second

// EnsureBinary returns the path of the components binary in
// .cache/localcluster/bin, building it first when it is missing or its stamp
// (versions, Go version, ldflags and a hash of the components module's
// go.mod, go.sum and Go files) differs. A cold build takes about 20 minutes
// on 2 cores; progress goes to w. Concurrent callers (parallel test
// binaries) wait for one build through a file lock.
func EnsureBinary(ctx context.Context, w io.Writer) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	module := filepath.Join(root, componentsModule)
	bin := filepath.Join(cache, "bin", "components")
	want, err := stamp(ctx, module)
	if err != nil {
		return "", err
	}
	if upToDate(bin, want) {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", fmt.Errorf("build components: %w", err)
	}
	unlock, err := lockFile(ctx, bin+".lock", w)
	if err != nil {
		return "", err
	}
	defer unlock()
	if upToDate(bin, want) { // built by whoever held the lock
		return bin, nil
	}
	if err := build(ctx, module, bin, w); err != nil {
		return "", err
	}
	if err := os.WriteFile(bin+".stamp", []byte(want), 0o644); err != nil {
		return "", fmt.Errorf("build components: write stamp: %w", err)
	}
	return bin, nil
}

func upToDate(bin, want string) bool {
	got, err := os.ReadFile(bin + ".stamp")
	return err == nil && string(got) == want && fileExists(bin)
}

// stamp describes everything the binary is built from.
func stamp(ctx context.Context, module string) (string, error) {
	goVersion, err := goEnv(ctx, module, "GOVERSION")
	if err != nil {
		return "", err
	}
	files, err := filepath.Glob(filepath.Join(module, "*.go"))
	if err != nil {
		return "", err
	}
	files = append(files, filepath.Join(module, "go.mod"), filepath.Join(module, "go.sum"))
	sort.Strings(files)
	var b strings.Builder
	fmt.Fprintf(&b, "version %s\ngo %s\nldflags %s\n", binaryVersion, goVersion, hashBytes([]byte(ldflags)))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("stamp components: %w", err)
		}
		fmt.Fprintf(&b, "%s %s\n", filepath.Base(f), hashBytes(data))
	}
	return b.String(), nil
}

func hashBytes(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func goEnv(ctx context.Context, dir, name string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", name)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// lockFile takes an exclusive flock on path, polling so ctx can cancel the
// wait. The returned func releases it.
func lockFile(ctx context.Context, path string, w io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	waiting := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !waiting {
			fmt.Fprintf(w, "localcluster: waiting for another process building the components binary (%s)\n", path)
			waiting = true
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// build runs go build in the components module, writing to a temporary
// file renamed over bin on success so readers never see half a binary.
func build(ctx context.Context, module, bin string, w io.Writer) error {
	start := time.Now()
	fmt.Fprintf(w, "localcluster: building %s (%s); a cold build takes about 20 minutes on 2 cores\n", bin, binaryVersion)
	tmp := bin + ".tmp"
	cmd := exec.CommandContext(ctx, "go", "build", "-v", "-trimpath", "-ldflags", ldflags, "-o", tmp, ".")
	cmd.Dir = module
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("build components: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("build components: %w", err)
	}
	var compiled atomic.Int64
	tail := make(chan []string, 1)
	go func() { tail <- scanBuildOutput(stderr, &compiled) }()
	stop := reportProgress(w, start, &compiled)
	err = cmd.Wait()
	stop()
	lines := <-tail
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("build components in %s: %w\n%s", module, err, strings.Join(lines, "\n"))
	}
	if err := os.Rename(tmp, bin); err != nil {
		return fmt.Errorf("build components: %w", err)
	}
	fmt.Fprintf(w, "localcluster: built %s in %s (packages compiled: %d)\n", bin, time.Since(start).Round(time.Second), compiled.Load())
	return nil
}

// scanBuildOutput counts the package paths go build -v prints and returns
// the last lines, which hold the error when the build fails.
func scanBuildOutput(r io.Reader, compiled *atomic.Int64) []string {
	const keep = 40
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.ContainsAny(line, " \t:") {
			compiled.Add(1)
		}
		lines = append(lines, line)
		if len(lines) > keep {
			lines = lines[1:]
		}
	}
	return lines
}

func reportProgress(w io.Writer, start time.Time, compiled *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fmt.Fprintf(w, "localcluster: still building: packages compiled: %d, elapsed: %s\n",
					compiled.Load(), time.Since(start).Round(time.Second))
			}
		}
	}()
	return func() { close(done); <-finished }
}
