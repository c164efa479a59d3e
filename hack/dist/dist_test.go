package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testFiles() []entry {
	return withDirs([]entry{
		{name: "kubectl-promote", mode: 0o755, data: []byte("binary")},
		{name: "scripts/helm-plugin-install.sh", mode: 0o755, data: []byte("#!/bin/sh\n")},
		{name: "LICENSE", mode: 0o644, data: []byte("license")},
	})
}

// TestArchivesDeterministic writes each archive twice at different wall
// times and into different directories: the bytes must not differ.
func TestArchivesDeterministic(t *testing.T) {
	at := time.Unix(1700000000, 0).UTC()
	for _, write := range map[string]func(string, []entry, time.Time) error{"tar.gz": writeTarGz, "zip": writeZip} {
		var got [][]byte
		for i := range 2 {
			path := filepath.Join(t.TempDir(), "a")
			if err := write(path, testFiles(), at); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
			if i == 0 {
				time.Sleep(1100 * time.Millisecond) // a second later: no clock may leak in
			}
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Errorf("two writes of the same files differ")
		}
	}
}

func TestWithDirsSorted(t *testing.T) {
	var got []string
	for _, e := range testFiles() {
		got = append(got, e.name)
	}
	want := []string{"LICENSE", "kubectl-promote", "scripts/", "scripts/helm-plugin-install.sh"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestCheckVersion(t *testing.T) {
	for _, v := range []string{"v0.1.0", "v1.2.3-rc.1", "v0.0.0-3f811e4-dirty", "v1.0.0+build.5"} {
		if err := checkVersion(v); err != nil {
			t.Errorf("checkVersion(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"", "0.1.0", "v1.2", "3f811e4", "v01.2.3"} {
		if err := checkVersion(v); err == nil {
			t.Errorf("checkVersion(%q) = nil, want an error", v)
		}
	}
}

func TestStampPluginVersion(t *testing.T) {
	in := "name: promote\nversion: 0.1.0\nusage: x\n"
	want := "name: promote\nversion: 1.2.3-rc.1\nusage: x\n"
	if got := string(stampPluginVersion([]byte(in), "v1.2.3-rc.1")); got != want {
		t.Errorf("stampPluginVersion = %q, want %q", got, want)
	}
}

func TestSumsSortedAndRead(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	path := filepath.Join(t.TempDir(), "SHA256SUMS")
	if err := writeSums(path, []string{b + "  z.tar.gz", a + "  a.zip"}); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	if want := a + "  a.zip\n" + b + "  z.tar.gz\n"; string(text) != want {
		t.Errorf("SHA256SUMS = %q, want %q", text, want)
	}
	got, err := readSums(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a.zip": a, "z.tar.gz": b}, got); diff != "" {
		t.Errorf("readSums (-want +got):\n%s", diff)
	}
}

func TestKrewDataNeedsEveryArchive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "SHA256SUMS")
	p := Platform{"linux", "amd64"}
	if err := writeSums(path, []string{strings.Repeat("c", 64) + "  " + p.Archive("v1.0.0")}); err != nil {
		t.Fatal(err)
	}
	d, err := krewDataFrom("v1.0.0", path, "https://example.com/{{.Version}}/", []Platform{p})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://example.com/v1.0.0/kubectl-promote_v1.0.0_linux_amd64.tar.gz"; d.Platforms[0].URI != want {
		t.Errorf("uri = %q, want %q", d.Platforms[0].URI, want)
	}
	if _, err := krewDataFrom("v1.0.0", path, "x", Platforms); err == nil || !strings.Contains(err.Error(), "make dist") {
		t.Errorf("a missing archive: err = %v, want one saying to run make dist", err)
	}
}
