package bounds

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalStopsRender: SIGINT or SIGTERM stops a render that would run for
// ten minutes (its budget) at once; the exit code is the interruption's
// (3, or 130/143 where the signal is reported), never bad input or success.
func TestSignalStopsRender(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := repo(t, "{helm: {chart: chart}, renderTimeout: 10m}", map[string]string{
				"chart/templates/cm.yaml": "{{- range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}\n",
			})
			cmd := exec.CommandContext(t.Context(), binary, "render", "dev")
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1"}
			var errOut bytes.Buffer
			cmd.Stderr = &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond) // into the template
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(timeLimit):
				cmd.Process.Kill()
				t.Fatalf("still rendering %s after %s", sig, timeLimit)
			}
			code := cmd.ProcessState.ExitCode()
			if code != 3 && code != 128+int(sig) {
				t.Errorf("exit %d, want 3 or %d\n%s", code, 128+int(sig), errOut.String())
			}
			if !strings.Contains(errOut.String(), "render of environment dev stopped") && code == 3 {
				t.Errorf("no word of the stopped render:\n%s", errOut.String())
			}
		})
	}
}
