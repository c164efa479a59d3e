package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Platforms are the release targets, in the order of SHA256SUMS.
var Platforms = []Platform{
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"linux", "amd64"}, {"linux", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// Platform is one GOOS/GOARCH pair.
type Platform struct{ OS, Arch string }

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// Exe is the binary's file name on p.
func (p Platform) Exe() string {
	if p.OS == "windows" {
		return "kubectl-promote.exe"
	}
	return "kubectl-promote"
}

// Archive is the archive's file name for version on p.
func (p Platform) Archive(version string) string {
	ext := ".tar.gz"
	if p.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("kubectl-promote_%s_%s_%s%s", version, p.OS, p.Arch, ext)
}

// semver is what krew and Helm accept as a version (with krew's leading v).
var semver = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func checkVersion(v string) error {
	if !semver.MatchString(v) {
		return fmt.Errorf("-version %q: want a semantic version with a leading v, such as v0.1.0 or v0.0.0-dev", v)
	}
	return nil
}

type buildOptions struct {
	version   string
	out       string
	platforms []Platform
	mtime     time.Time
}

func runBuild(args []string) error {
	o, err := parseBuild(args)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "kp-dist-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var sums []string
	for _, p := range o.platforms {
		sum, err := buildPlatform(o, p, work)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		sums = append(sums, sum)
	}
	return writeSums(filepath.Join(o.out, "SHA256SUMS"), sums)
}

func parseBuild(args []string) (buildOptions, error) {
	fs := flag.NewFlagSet("dist build", flag.ContinueOnError)
	version := versionFlag(fs)
	out := fs.String("out", "dist", "output directory")
	platforms := fs.String("platforms", "", "comma-separated GOOS/GOARCH list (default: every release platform)")
	mtime := fs.String("mtime", os.Getenv("SOURCE_DATE_EPOCH"), "Unix time of every archive entry (default $SOURCE_DATE_EPOCH, else 1980-01-01)")
	if err := fs.Parse(args); err != nil {
		return buildOptions{}, err
	}
	o := buildOptions{version: *version, out: *out}
	if err := checkVersion(o.version); err != nil {
		return o, err
	}
	var err error
	if o.platforms, err = parsePlatforms(*platforms); err != nil {
		return o, err
	}
	o.mtime, err = parseMtime(*mtime)
	return o, err
}

func parsePlatforms(s string) ([]Platform, error) {
	if s == "" {
		return Platforms, nil
	}
	var out []Platform
	for _, item := range strings.Split(s, ",") {
		i := slices.IndexFunc(Platforms, func(p Platform) bool { return p.String() == item })
		if i < 0 {
			return nil, fmt.Errorf("-platforms: %q is not a release platform (%v)", item, Platforms)
		}
		out = append(out, Platforms[i])
	}
	return out, nil
}

// zipEpoch is the earliest time a zip entry can carry (MS-DOS dates).
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

func parseMtime(s string) (time.Time, error) {
	if s == "" {
		return zipEpoch, nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("-mtime %q: want Unix seconds: %w", s, err)
	}
	t := time.Unix(sec, 0).UTC()
	if t.Before(zipEpoch) {
		t = zipEpoch
	}
	return t, nil
}

// buildPlatform cross-builds the binary for p, archives it into o.out and
// returns its SHA256SUMS line.
func buildPlatform(o buildOptions, p Platform, work string) (string, error) {
	bin := filepath.Join(work, p.OS+"_"+p.Arch, p.Exe())
	if err := goBuild(o.version, p, bin); err != nil {
		return "", err
	}
	files, err := archiveFiles(o.version, p, bin)
	if err != nil {
		return "", err
	}
	name := p.Archive(o.version)
	path := filepath.Join(o.out, name)
	if p.OS == "windows" {
		err = writeZip(path, files, o.mtime)
	} else {
		err = writeTarGz(path, files, o.mtime)
	}
	if err != nil {
		return "", err
	}
	sum, err := sha256File(path)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "dist: %s  %s\n", sum, path)
	return sum + "  " + name, nil
}

// goBuild builds cmd/kubectl-promote for p with the version stamped. CGO is
// off and the VCS stamp too, so the binary depends only on the source tree
// and the toolchain.
func goBuild(version string, p Platform, out string) error {
	ldflags := "-s -w -buildid= -X github.com/kubectl-promote/kubectl-promote/internal/version.Version=" + version
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, "./cmd/kubectl-promote")
	cmd.Env = append(os.Environ(), "GOOS="+p.OS, "GOARCH="+p.Arch, "CGO_ENABLED=0", "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}

func sha256File(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// writeSums writes lines in sha256sum's format, sorted by file name so the
// file does not depend on the order of -platforms.
func writeSums(path string, lines []string) error {
	if len(lines) == 0 {
		return errors.New("no archives built")
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}
