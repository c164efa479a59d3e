package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// runKrewCheck runs krew's validator on a copy of the manifest whose uris
// point at a local HTTP server over the dist directory, without -skip-install:
// the validator then installs every platform with the real krew (each
// download checked against its sha256) and requires a LICENSE in each. The
// published uris do not exist before the release is uploaded; everything
// else about the manifest is the one that ships.
func runKrewCheck(args []string) error {
	fs := flag.NewFlagSet("dist krew-check", flag.ContinueOnError)
	manifest := fs.String("manifest", "krew/promote.yaml", "krew manifest to check")
	dist := fs.String("dist", "dist", "directory holding the archives")
	validator := fs.String("validator", ".cache/tools/bin/validate-krew-manifest", "krew's validate-krew-manifest")
	krew := fs.String("krew", ".cache/tools/bin/kubectl-krew", "krew's kubectl-krew binary")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(*dist))}
	go srv.Serve(ln) //nolint:errcheck // ends with Close below
	defer srv.Close()
	return validateLocal(*manifest, "http://"+ln.Addr().String(), *validator, *krew)
}

var uriLine = regexp.MustCompile(`(?m)^(\s*uri:\s*)\S*/([^/\s]+)\s*$`)

func validateLocal(manifest, base, validator, krew string) error {
	text, err := os.ReadFile(manifest)
	if err != nil {
		return err
	}
	local := uriLine.ReplaceAll(text, []byte("${1}"+base+"/${2}"))
	tmp, err := os.MkdirTemp("", "krew-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// The validator names the plugin after the file: keep the file name.
	copyPath := filepath.Join(tmp, filepath.Base(manifest))
	if err := os.WriteFile(copyPath, local, 0o644); err != nil {
		return err
	}
	bin, err := krewOnPath(tmp, krew)
	if err != nil {
		return err
	}
	cmd := exec.Command(validator, "-manifest", copyPath)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	fmt.Fprintf(os.Stderr, "dist: validating %s, installing every platform from %s\n", manifest, base)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("validate-krew-manifest (installing from %s): %w", base, err)
	}
	return nil
}

// krewOnPath makes a directory holding kubectl-krew, for kubectl's plugin
// discovery (the validator runs `kubectl krew install`).
func krewOnPath(tmp, krew string) (string, error) {
	abs, err := filepath.Abs(krew)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("krew: %w (make tools-krew builds it)", err)
	}
	dir := filepath.Join(tmp, "bin")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	if strings.HasSuffix(abs, ".exe") {
		return dir, os.Symlink(abs, filepath.Join(dir, "kubectl-krew.exe"))
	}
	return dir, os.Symlink(abs, filepath.Join(dir, "kubectl-krew"))
}
