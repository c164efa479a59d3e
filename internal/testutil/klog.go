package testutil

import (
	"bytes"
	"flag"
	"os"
	"strconv"
	"sync"
	"testing"

	"k8s.io/klog/v2"
)

// SyncBuffer is a bytes.Buffer that klog may write to from any goroutine.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// CaptureKlog sends klog's output, at verbosity v, to a buffer instead of
// stderr until the test ends. Code under test that sets klog's -v itself
// (the CLI's -v flag) overrides v.
func CaptureKlog(t testing.TB, v int) *SyncBuffer {
	t.Helper()
	var fs flag.FlagSet
	klog.InitFlags(&fs)
	buf := &SyncBuffer{}
	for k, val := range map[string]string{"v": strconv.Itoa(v), "logtostderr": "false", "alsologtostderr": "false"} {
		if err := fs.Set(k, val); err != nil {
			t.Fatal(err)
		}
	}
	klog.SetOutput(buf)
	t.Cleanup(func() {
		klog.Flush()
		_ = fs.Set("v", "0")
		_ = fs.Set("logtostderr", "true")
		klog.SetOutput(os.Stderr)
	})
	return buf
}
