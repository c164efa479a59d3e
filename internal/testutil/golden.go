package testutil

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files instead of comparing with them")

// startDir is where the test binary started: the package's directory under
// go test. It is read before any test can t.Chdir elsewhere.
var startDir, _ = os.Getwd()

// Golden compares got with the golden file at path and reports a difference
// as (-want +got). With -update it writes got to path instead, creating the
// directory. A relative path is taken from the package's directory, so tests
// that change directory still find their golden files.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if !filepath.IsAbs(path) {
		path = filepath.Join(startDir, path)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got); run go test -update to accept:\n%s", path, diff)
	}
}
