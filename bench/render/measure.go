package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// contenders are the ways one environment is rendered.
type contenders struct {
	runs    int
	self    string // this program, re-run with -child for our peak memory
	kubectl string
	helm    string
	binary  string // empty when there is no usable CLI
	cliNote string // why the CLI is not measured
	home    string // HELM_*_HOME for the reference helm, and scratch
	gnuTime string // /usr/bin/time, for peak memory; empty when missing
}

func newContenders(ctx context.Context, cfg config) (*contenders, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c := &contenders{runs: cfg.runs, self: self}
	if c.kubectl, err = exec.LookPath(cfg.kubectl); err != nil {
		return nil, fmt.Errorf("reference kubectl: %w", err)
	}
	if c.helm, err = filepath.Abs(cfg.helm); err != nil {
		return nil, err
	}
	if _, err := os.Stat(c.helm); err != nil {
		return nil, fmt.Errorf("reference helm: %w (run `make tools-helm`)", err)
	}
	if c.home, err = os.MkdirTemp("", "bench-render-helm-"); err != nil {
		return nil, err
	}
	c.binary, c.cliNote = usableCLI(ctx, cfg.binary)
	if t, err := exec.LookPath("/usr/bin/time"); err == nil && exec.Command(t, "-f", "%M", "true").Run() == nil {
		c.gnuTime = t
	}
	return c, nil
}

// usableCLI returns the binary when it has a render command.
func usableCLI(ctx context.Context, binary string) (string, string) {
	abs, err := filepath.Abs(binary)
	if err != nil {
		return "", err.Error()
	}
	if _, err := os.Stat(abs); err != nil {
		return "", binary + " not built"
	}
	if err := exec.CommandContext(ctx, abs, "render", "--help").Run(); err != nil {
		return "", binary + " has no render command yet"
	}
	return abs, ""
}

// sample is one contender's figures for one case.
type sample struct {
	wall   time.Duration // median
	cpu    time.Duration // median user+system time
	maxRSS int64         // KiB, of one process rendering; 0 when not measured
}

// result is every contender's figures for one case.
type result struct {
	name      string
	objects   int
	inProcess sample
	cli       sample
	reference sample
	allocMiB  float64 // allocated by one in-process render
}

// timing is one run of one contender.
type timing struct{ wall, cpu time.Duration }

// measure times each contender runs times, interleaved so that a noisy
// neighbour hurts all of them alike, after one untimed warm-up each; then
// measures each one's peak memory in a separate run.
func (c *contenders) measure(ctx context.Context, bc benchCase) (result, error) {
	r := result{name: bc.name}
	var ours, cli, ref []timing
	for i := 0; i <= c.runs; i++ {
		t, n, alloc, err := c.inProcess(ctx, bc)
		if err != nil {
			return r, err
		}
		r.objects, r.allocMiB = n, alloc
		t2, err := c.each(ctx, bc, c.referenceCmd)
		if err != nil {
			return r, err
		}
		var t3 timing
		if c.binary != "" {
			if t3, err = c.each(ctx, bc, c.cliCmd); err != nil {
				return r, err
			}
		}
		if i > 0 { // the first run is a warm-up
			ours, ref, cli = append(ours, t), append(ref, t2), append(cli, t3)
		}
	}
	r.inProcess, r.reference, r.cli = summary(ours), summary(ref), summary(cli)
	var err error
	if r.inProcess.maxRSS, err = c.peakRSS(ctx, bc, c.childCmd); err != nil {
		return r, err
	}
	if r.reference.maxRSS, err = c.peakRSS(ctx, bc, c.referenceCmd); err != nil {
		return r, err
	}
	if c.binary != "" {
		if r.cli.maxRSS, err = c.peakRSS(ctx, bc, c.cliCmd); err != nil {
			return r, err
		}
	}
	return r, nil
}

// inProcess renders and encodes every environment of bc, as `render`
// would, returning the time, the objects and the MiB allocated.
func (c *contenders) inProcess(ctx context.Context, bc benchCase) (timing, int, float64, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := selfCPU()
	start := time.Now()
	n := 0
	for _, e := range bc.envs {
		objs, err := renderEnv(ctx, e)
		if err != nil {
			return timing{}, 0, 0, err
		}
		n += objs
	}
	t := timing{wall: time.Since(start), cpu: selfCPU() - cpu0}
	runtime.ReadMemStats(&after)
	return t, n, float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20), nil
}

func renderEnv(ctx context.Context, e envRef) (int, error) {
	r, err := render.For(e.p, e.env)
	if err != nil {
		return 0, err
	}
	res, err := r.Render(ctx, render.Options{})
	if err != nil {
		return 0, err
	}
	return len(res.Objects), render.Encode(io.Discard, res.Objects, "yaml")
}

// each runs the command of every environment of bc one after the other,
// returning the total wall and CPU time.
func (c *contenders) each(ctx context.Context, bc benchCase, cmdOf func(context.Context, envRef) *exec.Cmd) (timing, error) {
	var t timing
	for _, e := range bc.envs {
		cmd := cmdOf(ctx, e)
		start := time.Now()
		if err := runQuiet(cmd); err != nil {
			return t, err
		}
		t.wall += time.Since(start)
		t.cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return t, nil
}

// peakRSS is the largest max RSS of the commands of bc, or 0 without GNU
// time. Linux carries a process's peak RSS across exec, so a direct child of
// this (large) process would report at least our own peak; GNU time is a
// small process whose children report their own.
func (c *contenders) peakRSS(ctx context.Context, bc benchCase, cmdOf func(context.Context, envRef) *exec.Cmd) (int64, error) {
	if c.gnuTime == "" {
		return 0, nil
	}
	out := filepath.Join(c.home, "maxrss")
	var peak int64
	for _, e := range bc.envs {
		inner := cmdOf(ctx, e)
		args := append([]string{"-f", "%M", "-o", out, inner.Path}, inner.Args[1:]...)
		cmd := exec.CommandContext(ctx, c.gnuTime, args...)
		cmd.Env = inner.Env
		if err := runQuiet(cmd); err != nil {
			return 0, err
		}
		b, err := os.ReadFile(out)
		if err != nil {
			return 0, err
		}
		var kib int64
		if _, err := fmt.Sscan(string(b), &kib); err != nil {
			return 0, fmt.Errorf("GNU time wrote %q: %w", b, err)
		}
		peak = max(peak, kib)
	}
	return peak, nil
}

func runQuiet(cmd *exec.Cmd) error {
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	return nil
}

// selfCPU is this process's user+system time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// referenceCmd is `kubectl kustomize DIR` or `helm template …` for e.
func (c *contenders) referenceCmd(ctx context.Context, e envRef) *exec.Cmd {
	if k := e.env.Source.Kustomize; k != nil {
		return exec.CommandContext(ctx, c.kubectl, "kustomize", e.p.Resolve(k.Path))
	}
	cmd := exec.CommandContext(ctx, c.helm, helmTemplateArgs(e)...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(c.home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(c.home, "config"),
		"HELM_DATA_HOME="+filepath.Join(c.home, "data"))
	return cmd
}

func (c *contenders) cliCmd(ctx context.Context, e envRef) *exec.Cmd {
	return exec.CommandContext(ctx, c.binary, "render", e.env.Name, "-f", e.p.Path, "-o", "yaml")
}

func (c *contenders) childCmd(ctx context.Context, e envRef) *exec.Cmd {
	return exec.CommandContext(ctx, c.self, "-child", e.p.Path+":"+e.env.Name)
}

// helmTemplateArgs is the `helm template` command line rendering what our
// renderer renders for e.
func helmTemplateArgs(e envRef) []string {
	src := e.env.Source.Helm
	release := src.ReleaseName
	if release == "" {
		release = e.env.Name
	}
	kv := src.KubeVersion
	if kv == "" {
		kv = render.DefaultKubeVersion
	}
	args := []string{"template", release, e.p.Resolve(src.Chart),
		"--namespace", e.env.Namespace, "--include-crds", "--kube-version", kv}
	for _, v := range src.Values {
		args = append(args, "--values", e.p.Resolve(v))
	}
	keys := make([]string, 0, len(src.Set))
	for k := range src.Set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--set", k+"="+src.Set[k])
	}
	for _, a := range src.APIVersions {
		args = append(args, "--api-versions", a)
	}
	return args
}

// renderOnce is the -child mode: one render of FILE:ENV, for its max RSS.
func renderOnce(ctx context.Context, spec string) error {
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return fmt.Errorf("-child wants FILE:ENV, got %q", spec)
	}
	p, err := loadPipeline(spec[:i])
	if err != nil {
		return err
	}
	env, err := p.Env(spec[i+1:])
	if err != nil {
		return err
	}
	_, err = renderEnv(ctx, envRef{p: p, env: env})
	return err
}

// summary is the medians of ts.
func summary(ts []timing) sample {
	if len(ts) == 0 {
		return sample{}
	}
	walls := make([]time.Duration, len(ts))
	cpus := make([]time.Duration, len(ts))
	for i, t := range ts {
		walls[i], cpus[i] = t.wall, t.cpu
	}
	return sample{wall: median(walls), cpu: median(cpus)}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
