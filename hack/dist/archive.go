package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// entry is one file of an archive.
type entry struct {
	name string // slash-separated, relative to the archive root
	mode fs.FileMode
	data []byte
}

// source is a file to archive: its name inside, its path here, its mode.
type source struct {
	name, src string
	mode      fs.FileMode
}

// archiveFiles lists what goes into p's archive: the binary at the root (as
// krew and the Helm hook expect it), the LICENSE krew requires, the README,
// and the Helm plugin files with plugin.yaml stamped with version, so the
// archive is also installable with `helm plugin install <URL>`.
func archiveFiles(version string, p Platform, bin string) ([]entry, error) {
	files := []source{
		{p.Exe(), bin, 0o755},
		{"LICENSE", "LICENSE", 0o644},
		{"README.md", "README.md", 0o644},
		{"plugin.yaml", "plugin.yaml", 0o644},
		{"scripts/helm-plugin-install.sh", "scripts/helm-plugin-install.sh", 0o755},
	}
	if p.OS != "windows" { // shell scripts: kubectl's and Helm's completion hooks
		files = append(files,
			source{"kubectl_complete-promote", "kubectl_complete-promote", 0o755},
			source{"plugin.complete", "plugin.complete", 0o755})
	}
	var out []entry
	for _, f := range files {
		data, err := os.ReadFile(f.src)
		if err != nil {
			return nil, err
		}
		if f.name == "plugin.yaml" {
			data = stampPluginVersion(data, version)
		}
		out = append(out, entry{name: f.name, mode: f.mode, data: data})
	}
	return withDirs(out), nil
}

var pluginVersion = regexp.MustCompile(`(?m)^version:.*$`)

// stampPluginVersion sets plugin.yaml's version (Helm wants no leading v).
func stampPluginVersion(data []byte, version string) []byte {
	return pluginVersion.ReplaceAll(data, []byte("version: "+strings.TrimPrefix(version, "v")))
}

// withDirs adds an entry for every parent directory (Helm's extractor does
// not create them) and sorts the entries by name.
func withDirs(files []entry) []entry {
	seen := map[string]bool{}
	out := slices.Clone(files)
	for _, f := range files {
		for d := path.Dir(f.name); d != "."; d = path.Dir(d) {
			if !seen[d] {
				seen[d] = true
				out = append(out, entry{name: d + "/", mode: fs.ModeDir | 0o755})
			}
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return out
}

// writeTarGz writes a gzipped ustar archive whose every header field is
// fixed: mtime, owner root:root with no names, the given modes.
func writeTarGz(name string, files []entry, mtime time.Time) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: int64(f.mode.Perm()), ModTime: mtime, Format: tar.FormatUSTAR}
		if f.mode.IsDir() {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}

// writeZip writes a zip archive with fixed times and Unix modes.
func writeZip(name string, files []entry, mtime time.Time) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(f.mode)
		if f.mode.IsDir() {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if _, err := w.Write(f.data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}
