package promote

import (
	"errors"
	"os"
	"syscall"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// processGone tells whether the lock holder h is a process of this host
// that no longer runs: its lease then lives on only until it expires. A
// holder on another host, or without a pid, is never judged gone: this
// machine cannot see it.
func processGone(h release.Holder, host string, alive func(pid int) bool) bool {
	return h.PID > 0 && h.Host != "" && h.Host == host && !alive(h.PID)
}

// pidAlive reports whether a process with pid runs on this host (signal 0
// probes without sending anything; EPERM means it runs as someone else).
func pidAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// thisHost is the host name holders record.
func thisHost() string {
	h, _ := os.Hostname()
	return h
}
