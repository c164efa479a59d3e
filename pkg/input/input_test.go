package input

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// BillionLaughs is the classic alias bomb: ten levels of ten aliases each.
const billionLaughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	write(t, small, "a: 1\n")
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	limits := Limits{MaxFileSize: 1 << 20}
	tests := []struct {
		name, path, wantErr string
	}{
		{name: "small", path: small},
		{name: "1 GiB file", path: big, wantErr: big + ": larger than the 1 MiB limit"},
		{name: "endless device", path: "/dev/zero", wantErr: "/dev/zero: larger than the 1 MiB limit"},
		{name: "directory", path: dir, wantErr: dir + " is a directory"},
		{name: "missing", path: filepath.Join(dir, "nope"), wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ReadFile(tt.path, limits)
			checkErr(t, err, tt.wantErr)
			if err == nil && string(data) != "a: 1\n" {
				t.Errorf("ReadFile() = %q", data)
			}
		})
	}
}

func TestCheckAliases(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{name: "no aliases", yaml: "a: 1\nb: [1, 2]\n"},
		{name: "a few aliases", yaml: "base: &b {cpu: 1, memory: 2}\nx: *b\ny: *b\n"},
		{name: "merge keys", yaml: "base: &b {cpu: 1}\nx: {<<: *b, memory: 2}\n"},
		{name: "billion laughs", yaml: billionLaughs, wantErr: "f.yaml:6: YAML aliases expand to more than 100000 nodes"},
		{name: "bomb in a later document", yaml: "a: 1\n---\n" + billionLaughs, wantErr: "f.yaml:8: YAML aliases expand"},
		{name: "recursive", yaml: "a: &a [1, *a]\n", wantErr: "f.yaml:1: a YAML alias refers to the node that contains it"},
		{name: "not YAML", yaml: "a: *nope\n\t- [\n"},
		{name: "a star in text", yaml: "a: '*'\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAliases("f.yaml", []byte(tt.yaml), Limits{MaxAliasNodes: 100_000})
			checkErr(t, err, tt.wantErr)
		})
	}
}

func TestSyntaxLine(t *testing.T) {
	tests := []struct {
		msg      string
		wantLine int
		wantMsg  string
	}{
		{"line 3: mapping values are not allowed in this context", 3, "mapping values are not allowed in this context"},
		{"line 1: did not find expected key", 2, "did not find expected key"},
		{"did not find expected key", 1, "did not find expected key"},
		{"line 2: did not find expected ',' or ']'", 3, "did not find expected ',' or ']'"},
		{"unknown anchor 'x' referenced", 0, "unknown anchor 'x' referenced"},
	}
	for _, tt := range tests {
		line, msg := SyntaxLine(tt.msg)
		if diff := cmp.Diff([]any{tt.wantLine, tt.wantMsg}, []any{line, msg}); diff != "" {
			t.Errorf("SyntaxLine(%q) (-want +got):\n%s", tt.msg, diff)
		}
	}
}

func TestConfine(t *testing.T) {
	outside := t.TempDir()
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(outside, "config"), "secret")
	write(t, filepath.Join(repo, "deploy", "values.yaml"), "a: 1")
	mustSymlink(t, filepath.Join(outside, "config"), filepath.Join(repo, "deploy", "link.yaml"))
	mustSymlink(t, outside, filepath.Join(repo, "deploy", "overlay"))
	mustSymlink(t, filepath.Join(repo, "deploy", "values.yaml"), filepath.Join(repo, "deploy", "inside.yaml"))
	root, err := RepositoryRoot(filepath.Join(repo, "deploy", "promote.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(repo); root != want {
		t.Fatalf("RepositoryRoot() = %s, want the git top level %s", root, want)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{name: "inside", path: filepath.Join(repo, "deploy", "values.yaml")},
		{name: "symlink inside", path: filepath.Join(repo, "deploy", "inside.yaml")},
		{name: "missing inside", path: filepath.Join(repo, "deploy", "nope.yaml")},
		{name: "absolute outside", path: filepath.Join(outside, "config"), wantErr: "is outside the repository"},
		{name: "dot-dot", path: filepath.Join(repo, "deploy", "..", "..", filepath.Base(outside), "config"), wantErr: "is outside the repository"},
		{name: "symlinked file", path: filepath.Join(repo, "deploy", "link.yaml"), wantErr: "resolves to " + filepath.Join(outside, "config")},
		{name: "symlinked directory", path: filepath.Join(repo, "deploy", "overlay"), wantErr: "allowOutsideRepository: true"},
		{name: "missing under a symlinked directory", path: filepath.Join(repo, "deploy", "overlay", "nope"), wantErr: "is outside the repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Confine(root, tt.path)
			checkErr(t, err, tt.wantErr)
			var oe *OutsideError
			if err != nil && !errors.As(err, &oe) {
				t.Errorf("error %v is not an *OutsideError", err)
			}
		})
	}
}

func TestRepositoryRootWithoutGit(t *testing.T) {
	dir := t.TempDir()
	root, err := RepositoryRoot(filepath.Join(dir, "promote.yaml"))
	if want, _ := filepath.EvalSymlinks(dir); err != nil || root != want {
		t.Errorf("RepositoryRoot() = %s, %v; want the pipeline file's directory %s", root, err, want)
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("error = %v, want one containing %q", err, want)
	case want != "" && exitcode.Code(err) != exitcode.BadInput:
		t.Errorf("exit code = %d, want %d", exitcode.Code(err), exitcode.BadInput)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
