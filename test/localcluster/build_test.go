package localcluster

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStampChangesWithModuleFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module x\n\ngo 1.26\n")
	write("go.sum", "")
	write("main.go", "package main\n")
	base, err := stamp(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ file, content string }{
		{"main.go", "package main // changed\n"},
		{"extra.go", "package main\n"},
		{"go.sum", "example.com/m v1.0.0 h1:x=\n"},
		{"go.mod", "module x\n\ngo 1.26.1\n"},
	}
	for _, tt := range tests {
		write(tt.file, tt.content)
		got, err := stamp(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if got == base {
			t.Errorf("stamp unchanged after editing %s", tt.file)
		}
		base = got
	}
	again, err := stamp(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if again != base {
		t.Errorf("stamp not stable:\n%s\n%s", base, again)
	}
}
