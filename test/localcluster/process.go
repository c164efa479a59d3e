package localcluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one component process of a cluster. Its PID file and log file
// live in the cluster's state directory.
type process struct {
	name string
	args []string
	// exited is closed once a process this one started has been reaped.
	// It is nil for a process found through its PID file.
	exited chan struct{}
	pid    int
}

// launch starts component name of the components binary with args. A
// detached process gets its own session and outlives the caller; otherwise
// it is killed with the caller (Pdeathsig), so a crashed test binary leaves
// nothing behind.
func launch(dir, bin, name string, args []string, detached bool) (*process, error) {
	logFile, err := os.OpenFile(logPath(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer logFile.Close() // the child has its own copy
	cmd := exec.Command(bin, append([]string{name}, args...)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// HOME keeps kwok from reading ~/.kwok/kwok.yaml and the others from
	// finding a user's kubeconfig.
	cmd.Env = append(os.Environ(), "HOME="+dir, "KUBECONFIG=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if detached {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	fmt.Fprintf(logFile, "--- %s: %s %s\n", time.Now().Format(time.RFC3339), name, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, args: args, pid: cmd.Process.Pid, exited: make(chan struct{})}
	// Reap it while we live; once we exit, init adopts a detached process.
	go func() { _ = cmd.Wait(); close(p.exited) }()
	if err := os.WriteFile(pidPath(dir, name), []byte(strconv.Itoa(p.pid)+"\n"), 0o644); err != nil {
		return p, fmt.Errorf("start %s: %w", name, err)
	}
	return p, nil
}

func logPath(dir, name string) string { return filepath.Join(dir, "logs", name+".log") }
func pidPath(dir, name string) string { return filepath.Join(dir, "run", name+".pid") }

// findProcess reads name's PID file in dir. It returns nil when there is no
// PID file or the PID no longer belongs to this cluster's process.
func findProcess(dir, name string) *process {
	data, err := os.ReadFile(pidPath(dir, name))
	if err != nil {
		return nil
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || !ours(pid, dir) {
		return nil
	}
	return &process{name: name, pid: pid}
}

// ours reports whether pid is alive and is a component of the cluster in
// dir, so a PID reused by the system after a crash is never killed.
func ours(pid int, dir string) bool {
	if !alive(pid) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && bytes.Contains(cmdline, []byte(dir+string(filepath.Separator)))
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// running reports whether the process is still up.
func (p *process) running() bool {
	if p.exited != nil {
		select {
		case <-p.exited:
			return false
		default:
		}
	}
	return alive(p.pid)
}

// stop kills the process group with SIGKILL and waits until the process
// is gone. Nothing is lost: a cluster's state is thrown away when it stops,
// and a graceful apiserver shutdown waits up to a minute for the clients
// still connected to it.
func (p *process) stop(ctx context.Context) error {
	if !p.running() {
		return nil
	}
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	if p.waitGone(ctx, 10*time.Second) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stop %s (pid %d): %w", p.name, p.pid, err)
	}
	return fmt.Errorf("stop %s (pid %d): still running 10s after SIGKILL", p.name, p.pid)
}

func (p *process) waitGone(ctx context.Context, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for p.running() {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-p.exited: // nil channel when not ours: never ready
		case <-tick.C:
		}
	}
	return true
}
