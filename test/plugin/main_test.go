// Package plugin tests kubectl-promote as its users install it: found by the
// real kubectl's plugin discovery, installed by a real helm CLI as a Helm
// plugin (from the source tree and from a release archive), completed through
// kubectl_complete-promote and plugin.complete, and packaged reproducibly into
// archives whose krew manifest passes krew's own validator. No cluster.
package plugin

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// version is stamped into the binary and the archive the tests build.
const version = "v0.0.0-plugintest"

// mtime is the fixed archive entry time of the tests' builds.
const mtime = "1700000000"

var (
	// root is the repository root.
	root string
	// work holds everything TestMain builds; removed at the end.
	work string
	// dist holds the linux/amd64 archive (the host's, whatever it is, when
	// it is a release platform) built from root, and its SHA256SUMS.
	dist string
	// binDir holds kubectl-promote (extracted from that archive) and
	// kubectl_complete-promote, for PATH.
	binDir string
	// src is a copy of the plugin's source tree in another directory.
	src string
)

// TestMain builds the host platform's release archive once with hack/dist,
// extracts the binary the tests put on PATH, and copies the source tree.
func TestMain(m *testing.M) {
	flag.Parse()
	code := 1
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "test/plugin: %v\n", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(work)
	os.Exit(code)
}

func setup() error {
	var err error
	if root, err = filepath.Abs("../.."); err != nil {
		return err
	}
	if work, err = os.MkdirTemp("", "kp-plugintest-"); err != nil {
		return err
	}
	dist, binDir, src = filepath.Join(work, "dist"), filepath.Join(work, "bin"), filepath.Join(work, "src", "kubectl-promote")
	if err := distBuild(root, dist, hostPlatform()); err != nil {
		return err
	}
	if err := extract(filepath.Join(dist, archiveName(hostPlatform())), binDir); err != nil {
		return err
	}
	return copySource(root, src)
}

// hostPlatform is GOOS/GOARCH of the go that runs the tests.
func hostPlatform() string {
	out, err := exec.Command("go", "env", "GOOS", "GOARCH").Output()
	if err != nil {
		return "linux/amd64"
	}
	f := strings.Fields(string(out))
	return f[0] + "/" + f[1]
}

func archiveName(platform string) string {
	os, arch, _ := strings.Cut(platform, "/")
	ext := ".tar.gz"
	if os == "windows" {
		ext = ".zip"
	}
	return "kubectl-promote_" + version + "_" + os + "_" + arch + ext
}

// distBuild runs `hack/dist build` for platform in dir, writing into out.
func distBuild(dir, out, platform string) error {
	cmd := exec.Command("go", "run", "./hack/dist", "build", "-version", version, "-platforms", platform, "-out", out, "-mtime", mtime)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("dist build in %s: %v\n%s", dir, err, stderr.String())
	}
	return nil
}

// extract unpacks a release tar.gz into dir with tar(1).
func extract(archive, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out, err := exec.Command("tar", "-xzf", archive, "-C", dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("tar -xzf %s: %v\n%s", archive, err, out)
	}
	return nil
}

// sourceDirs are what the Helm hook needs to build the plugin from source.
var sourceDirs = []string{"cmd", "internal", "pkg"}

var sourceFiles = []string{"go.mod", "go.sum", "plugin.yaml", "plugin.complete", "LICENSE", "README.md",
	"kubectl_complete-promote", "scripts/helm-plugin-install.sh", "hack/dist"}

// copySource copies the source of the plugin and of hack/dist (no tests, no
// testdata) to dst, as a fresh checkout elsewhere would hold it.
func copySource(from, dst string) error {
	for _, d := range append(sourceDirs, sourceFiles...) {
		err := filepath.WalkDir(filepath.Join(from, d), func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && e.Name() == "testdata" {
				return filepath.SkipDir
			}
			if e.IsDir() || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			rel, _ := filepath.Rel(from, path)
			return copyFile(path, filepath.Join(dst, rel))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	info, err := os.Stat(from)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, info.Mode().Perm())
}

// result is one run of a command.
type result struct {
	stdout, stderr string
	code           int
}

// run runs name with args in dir with env added to a minimal environment
// (PATH and the Go variables a build needs, nothing of the user's kube or
// Helm configuration).
func run(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
}

// mustRun is run that fails the test on a non-zero exit.
func mustRun(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	r := run(t, dir, env, name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// baseEnv keeps what go and git need; HOME is the test's own.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GO") || k == "HOME" || k == "TMPDIR" || k == "USER" {
			env = append(env, kv)
		}
	}
	return append(env, "NO_COLOR=1", "TERM=dumb")
}

// pathWith is a PATH of dirs, then the system's, without the user's own
// directories nor /usr/local/bin (a kubectl-promote installed there must
// not be found).
func pathWith(dirs ...string) string {
	goBin, _ := exec.LookPath("go")
	return "PATH=" + strings.Join(append(dirs, filepath.Dir(goBin), "/usr/bin", "/bin"), string(os.PathListSeparator))
}

// tool returns root/.cache/tools/bin/name, building it with build when it
// is missing (the Makefile builds them first; this is for a bare go test).
func tool(t *testing.T, name string, build func(out string) *exec.Cmd) string {
	t.Helper()
	bin := filepath.Join(root, ".cache", "tools", "bin", name)
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	t.Logf("building %s (make tools-helm / tools-krew do it ahead)", bin)
	if out, err := build(bin).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return bin
}

func helmCLI(t *testing.T) string {
	return tool(t, "helm", func(out string) *exec.Cmd {
		return exec.Command("sh", filepath.Join(root, "tools", "build-helm.sh"), out)
	})
}

func krewTool(t *testing.T, name, pkg string) string {
	return tool(t, name, func(out string) *exec.Cmd {
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
		cmd.Dir = filepath.Join(root, "tools", "krew")
		return cmd
	})
}

func kubectl(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not on PATH; these tests need the real one (Debian: apt-get install kubectl)")
	}
	return path
}
