package plugin

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDistReproducible: the same source in another directory, built again,
// gives byte-identical archives (-trimpath, no VCS stamp, fixed entries).
func TestDistReproducible(t *testing.T) {
	again := filepath.Join(t.TempDir(), "dist")
	if err := distBuild(src, again, hostPlatform()); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(again, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("SHA256SUMS of a build in %s vs one in %s (-want +got):\n%s", root, src, diff)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}  ` + regexp.QuoteMeta(archiveName(hostPlatform())) + "\n$").Match(want) {
		t.Errorf("SHA256SUMS is not in sha256sum's format:\n%s", want)
	}
}

// TestDistArchiveLayout: files at the root as krew and Helm expect them,
// sorted, owned by root with no names, all at the fixed time, with modes.
func TestDistArchiveLayout(t *testing.T) {
	name := archiveName(hostPlatform())
	if !strings.HasSuffix(name, ".tar.gz") {
		t.Skip("the layout test reads tar.gz archives")
	}
	f, err := os.Open(filepath.Join(dist, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q and time %v, want neither", zr.Name, zr.ModTime)
	}
	got, plugin := readTar(t, zr)
	sec, _ := strconv.ParseInt(mtime, 10, 64)
	at := time.Unix(sec, 0).UTC().Format(time.RFC3339)
	want := []string{
		"LICENSE 644 0:0 " + at, "README.md 644 0:0 " + at,
		"kubectl-promote 755 0:0 " + at, "kubectl_complete-promote 755 0:0 " + at,
		"plugin.complete 755 0:0 " + at, "plugin.yaml 644 0:0 " + at,
		"scripts/ 755 0:0 " + at, "scripts/helm-plugin-install.sh 755 0:0 " + at,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("archive entries (-want +got):\n%s", diff)
	}
	if v := "version: " + strings.TrimPrefix(version, "v") + "\n"; !strings.Contains(plugin, v) {
		t.Errorf("plugin.yaml in the archive lacks %q:\n%s", v, plugin)
	}
}

// readTar lists "name mode uid:gid time" per entry, in archive order, and
// returns plugin.yaml's content.
func readTar(t *testing.T, r io.Reader) ([]string, string) {
	t.Helper()
	tr := tar.NewReader(r)
	var got []string
	var plugin string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return got, plugin
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q:%q", h.Name, h.Uname, h.Gname)
		}
		got = append(got, fmt.Sprintf("%s %o %d:%d %s", h.Name, h.Mode, h.Uid, h.Gid, h.ModTime.UTC().Format(time.RFC3339)))
		if h.Name == "plugin.yaml" {
			b, _ := io.ReadAll(tr)
			plugin = string(b)
		}
	}
}

// TestKrewManifestOfBuild: the manifest made from this build's archive
// passes krew's validator, both structurally and by really installing the
// archive with krew from a local server (sha256 checked, LICENSE found).
func TestKrewManifestOfBuild(t *testing.T) {
	validator := krewTool(t, "validate-krew-manifest", "sigs.k8s.io/krew/cmd/validate-krew-manifest")
	krew := krewTool(t, "kubectl-krew", "sigs.k8s.io/krew/cmd/krew")
	kubectl(t)
	manifest := filepath.Join(t.TempDir(), "promote.yaml")
	env := []string{pathWith()}
	mustRun(t, root, env, "go", "run", "./hack/dist", "krew", "-version", version, "-platforms", hostPlatform(),
		"-sums", filepath.Join(dist, "SHA256SUMS"), "-template", "krew/promote.yaml.tmpl", "-o", manifest)
	mustRun(t, root, env, validator, "-manifest", manifest, "-skip-install")
	r := mustRun(t, root, env, "go", "run", "./hack/dist", "krew-check", "-manifest", manifest, "-dist", dist,
		"-validator", validator, "-krew", krew)
	if !strings.Contains(r.stderr, "all 1 spec.platforms installed fine") {
		t.Errorf("krew-check did not install the platform:\n%s", r.stderr)
	}
}

// TestKrewManifestCommitted: krew/promote.yaml passes the validator and is
// exactly what the template makes of its own version and checksums, so it
// is never edited by hand.
func TestKrewManifestCommitted(t *testing.T) {
	validator := krewTool(t, "validate-krew-manifest", "sigs.k8s.io/krew/cmd/validate-krew-manifest")
	committed := filepath.Join(root, "krew", "promote.yaml")
	mustRun(t, root, []string{pathWith()}, validator, "-manifest", committed, "-skip-install")
	ver, sums := manifestSums(t, committed)
	sumsFile := filepath.Join(t.TempDir(), "SHA256SUMS")
	if err := os.WriteFile(sumsFile, []byte(sums), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "promote.yaml")
	mustRun(t, root, []string{pathWith()}, "go", "run", "./hack/dist", "krew", "-version", ver, "-sums", sumsFile, "-o", out)
	want, _ := os.ReadFile(committed)
	got, _ := os.ReadFile(out)
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("krew/promote.yaml differs from the template's output for %s (-committed +generated):\n%s\nrun `make krew-manifest`", ver, diff)
	}
}

// manifestSums reads a manifest's version and its archives' checksums in
// sha256sum's format.
func manifestSums(t *testing.T, path string) (string, string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ver, uri string
	var sums []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch k, v, _ := strings.Cut(l, ": "); k {
		case "version":
			ver = v
		case "uri":
			uri = v
		case "sha256":
			sums = append(sums, v+"  "+uri[strings.LastIndex(uri, "/")+1:])
		}
	}
	if ver == "" || len(sums) == 0 {
		t.Fatalf("%s: no version or no sha256", path)
	}
	slices.Sort(sums)
	return ver, strings.Join(sums, "\n") + "\n"
}
