package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/klog/v2"
)

// recorder is a testing.TB that keeps what a helper reports; Fatal ends
// only the goroutine the helper runs in.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.fatal = true
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// golden runs Golden on a recorder in its own goroutine.
func golden(t *testing.T, path, got string) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Golden(r, path, got)
	}()
	<-done
	return r
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	WriteFiles(t, dir, map[string]string{"same.txt": "a\nb\n", "other.txt": "a\nc\n"})
	tests := []struct {
		name      string
		file      string
		wantFatal bool
		wantError string // a substring of the one message; "" = none
	}{
		{name: "equal", file: "same.txt"},
		{name: "different", file: "other.txt", wantError: "mismatch (-want +got)"},
		{name: "missing", file: "none.txt", wantFatal: true, wantError: "run go test -update to create it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := golden(t, filepath.Join(dir, tt.file), "a\nb\n")
			if r.fatal != tt.wantFatal {
				t.Errorf("fatal = %v, want %v", r.fatal, tt.wantFatal)
			}
			switch {
			case tt.wantError == "" && len(r.errors) != 0:
				t.Errorf("unexpected report: %q", r.errors)
			case tt.wantError != "" && (len(r.errors) != 1 || !strings.Contains(r.errors[0], tt.wantError)):
				t.Errorf("report %q, want one containing %q", r.errors, tt.wantError)
			}
		})
	}
}

// With -update, Golden writes the file (and its directory) and reports
// nothing, whatever the file held before.
func TestGoldenUpdate(t *testing.T) {
	old := *update
	*update = true
	t.Cleanup(func() { *update = old })
	path := filepath.Join(t.TempDir(), "new", "file.txt")
	if r := golden(t, path, "fresh\n"); len(r.errors) != 0 {
		t.Fatalf("unexpected report: %q", r.errors)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("fresh\n", string(got)); diff != "" {
		t.Errorf("written file (-want +got):\n%s", diff)
	}
}

// A relative golden path is found from the package directory even after
// the test changed directory.
func TestGoldenRelativeAfterChdir(t *testing.T) {
	dir := t.TempDir()
	WriteFiles(t, dir, map[string]string{"testdata/x.txt": "x\n"})
	rel, err := filepath.Rel(startDir, filepath.Join(dir, "testdata", "x.txt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if r := golden(t, rel, "x\n"); len(r.errors) != 0 {
		t.Errorf("unexpected report: %q", r.errors)
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{"a.txt": "A", "deep/er/b.yaml": "B"}
	WriteFiles(t, dir, want)
	got := map[string]string{}
	for name := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got[name] = string(b)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestLeaks(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want []string
	}{
		{"none", "password: ***", nil},
		{"plain", "password: hunter2", []string{"hunter2"}},
		{"base64", "password: aHVudGVyMg==", []string{"aHVudGVyMg=="}},
		{"both values", "hunter2 and s3cret", []string{"hunter2", "s3cret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Leaks(tt.s, "hunter2", "s3cret")); diff != "" {
				t.Errorf("Leaks (-want +got):\n%s", diff)
			}
		})
	}
}

// CaptureKlog collects messages at the verbosity asked for, not above it.
func TestCaptureKlog(t *testing.T) {
	buf := CaptureKlog(t, 4)
	klog.V(4).Info("kept-message")
	klog.V(5).Info("dropped-message")
	klog.Flush()
	got := buf.String()
	if !strings.Contains(got, "kept-message") || strings.Contains(got, "dropped-message") {
		t.Errorf("captured %q, want kept-message and not dropped-message", got)
	}
}
