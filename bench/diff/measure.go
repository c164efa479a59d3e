package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kubectl-promote/kubectl-promote/bench/internal/benchkit"
	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// contender is one way of diffing the workload.
type contender struct {
	name string
	// run diffs once; with count it also returns the resource requests
	// sent, and how many objects it found changed.
	run func(ctx context.Context, count bool) (requests int, changed int, err error)
}

// result is a contender's timed runs.
type result struct {
	name     string
	times    []time.Duration
	requests int
	changed  int
	skipped  string
}

func (r result) median() time.Duration { return benchkit.Median(r.times) }

// The rows the targets compare, by index in contenders.
const (
	rowOurs          = 0
	rowKubectl       = 3
	rowKubectlSameCc = 4
)

// contenders lists what is compared, ours first.
func contenders(tgt target, cfg config, w *workload) []contender {
	c := cfg.concurrency
	return []contender{
		{fmt.Sprintf("kubectl-promote, in process (concurrency %d)", c), func(ctx context.Context, _ bool) (int, int, error) {
			return inProcess(ctx, tgt, cfg, w, false)
		}},
		{fmt.Sprintf("kubectl-promote, in process, --always-dry-run (concurrency %d)", c), func(ctx context.Context, _ bool) (int, int, error) {
			return inProcess(ctx, tgt, cfg, w, true)
		}},
		{fmt.Sprintf("%s diff (concurrency %d)", cfg.binary, c), func(ctx context.Context, count bool) (int, int, error) {
			return command(ctx, count, cfg.binary, "diff", owner.Environment, "-f", w.pipeline, "--kubeconfig", tgt.Kubeconfig,
				"--concurrency", strconv.Itoa(c), "--color", "never")
		}},
		{"kubectl diff --server-side (default concurrency 1)", func(ctx context.Context, count bool) (int, int, error) {
			return command(ctx, count, cfg.kubectl, kubectlArgs(tgt, w)...)
		}},
		{fmt.Sprintf("kubectl diff --server-side --concurrency=%d", c), func(ctx context.Context, count bool) (int, int, error) {
			return command(ctx, count, cfg.kubectl, append(kubectlArgs(tgt, w), "--concurrency", strconv.Itoa(c))...)
		}},
	}
}

// kubectlArgs diffs the same files as the same field manager, so kubectl
// does the same work (another manager would conflict on changed fields).
func kubectlArgs(tgt target, w *workload) []string {
	return []string{"diff", "--server-side", "--field-manager", kube.FieldManager, "-f", w.files, "--kubeconfig", tgt.Kubeconfig}
}

// measureAll runs each contender once untimed (counting requests, and
// warming kubectl's discovery cache), then cfg.runs times, interleaved so
// that drift in the machine's load touches all alike.
func measureAll(ctx context.Context, tgt target, cfg config, w *workload) ([]result, error) {
	cs := contenders(tgt, cfg, w)
	results := make([]result, len(cs))
	for i, c := range cs {
		results[i].name = c.name
		if strings.HasPrefix(c.name, cfg.binary) && !exists(cfg.binary) {
			results[i].skipped = cfg.binary + " not found (make build)"
			continue
		}
		req, changed, err := c.run(ctx, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		results[i].requests, results[i].changed = req, changed
	}
	for run := range cfg.runs {
		for i, c := range cs {
			if results[i].skipped != "" {
				continue
			}
			start := time.Now()
			if _, _, err := c.run(ctx, false); err != nil {
				return nil, fmt.Errorf("%s, run %d: %w", c.name, run+1, err)
			}
			results[i].times = append(results[i].times, time.Since(start))
		}
	}
	return results, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// inProcess diffs with pkg/diff on fresh clients (discovery included),
// counting resource requests with a transport wrapper.
func inProcess(ctx context.Context, tgt target, cfg config, w *workload, always bool) (int, int, error) {
	if cfg.cpuprofile != "" {
		stop, err := startProfile(cfg.cpuprofile)
		if err != nil {
			return 0, 0, err
		}
		defer stop()
	}
	var n atomic.Int64
	rc := rest.CopyConfig(tgt.Rest)
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if isResourcePath(r.URL.Path) {
				n.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	c, err := kube.NewForConfig(rc)
	if err != nil {
		return 0, 0, err
	}
	opts := diff.DefaultOptions()
	opts.Concurrency, opts.Namespace, opts.Owner, opts.AlwaysDryRun = cfg.concurrency, w.ns, owner, always
	cs, err := diff.Diff(ctx, c, w.desired, opts)
	if err != nil {
		return 0, 0, err
	}
	return int(n.Load()), cs.Counts().Configured, nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// isResourcePath tells /api/v1/… and /apis/group/version/… requests from
// discovery (/api, /apis/group/version, /openapi, /version).
func isResourcePath(path string) bool {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch parts[0] {
	case "api":
		return len(parts) >= 3
	case "apis":
		return len(parts) >= 4
	}
	return false
}

// command runs a diff binary, which exits 1 for differences. With count
// it runs at -v=6 and counts the resource requests in the log.
func command(ctx context.Context, count bool, name string, args ...string) (int, int, error) {
	if count {
		args = append(args, "-v", "6")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return 0, 0, fmt.Errorf("%v: %w\n%s", cmd.Args[:2], err, benchkit.Tail(stderr.String(), 20))
	}
	return countRequests(stderr.String()), changedObjects(stdout.String()), nil
}

// requestLine matches client-go's -v=6 request logs, old and structured.
var requestLine = regexp.MustCompile(`(?:\b(?:GET|PATCH|POST|PUT|DELETE) (https://\S+))|(?:verb="\w+" url="([^"]+)")`)

func countRequests(log string) int {
	n := 0
	for _, m := range requestLine.FindAllStringSubmatch(log, -1) {
		raw := m[1] + m[2]
		if u, err := url.Parse(raw); err == nil && isResourcePath(u.Path) {
			n++
		}
	}
	return n
}

// changedObjects counts objects in a diff's output: kubectl-promote's
// "Kind/ns/name configured" headers, or kubectl's "diff -u -N" file pairs.
func changedObjects(out string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, " configured") || strings.HasPrefix(l, "diff -u -N ") {
			n++
		}
	}
	return n
}

// profileRuns numbers the profiles of successive in-process runs.
var profileRuns atomic.Int64

// startProfile profiles until the returned function is called, into
// path with the run's number appended.
func startProfile(path string) (func(), error) {
	f, err := os.Create(fmt.Sprintf("%s.%d", path, profileRuns.Add(1)))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
