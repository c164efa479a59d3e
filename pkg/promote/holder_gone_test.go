package promote

import (
	"os"
	"os/exec"
	"testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func TestProcessGone(t *testing.T) {
	alive := func(pid int) bool { return pid == 42 }
	tests := []struct {
		name   string
		holder release.Holder
		want   bool
	}{
		{"running here", release.Holder{Host: "ci-1", PID: 42}, false},
		{"killed here", release.Holder{Host: "ci-1", PID: 43}, true},
		{"on another host", release.Holder{Host: "laptop", PID: 43}, false},
		{"no pid recorded", release.Holder{Host: "ci-1"}, false},
		{"no host recorded", release.Holder{PID: 43}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := processGone(tt.holder, "ci-1", alive); got != tt.want {
				t.Errorf("processGone(%+v) = %v, want %v", tt.holder, got, tt.want)
			}
		})
	}
}

// TestPIDAlive probes real processes: this one, and one that has exited.
func TestPIDAlive(t *testing.T) {
	if !pidAlive(os.Getpid()) {
		t.Error("this process is not seen alive")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if pidAlive(cmd.Process.Pid) {
		t.Errorf("pid %d of an exited, reaped process is seen alive", cmd.Process.Pid)
	}
}
