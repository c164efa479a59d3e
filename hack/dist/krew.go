package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/template"
)

// krewPlatform is what the manifest template sees of one archive.
type krewPlatform struct {
	OS, Arch, Archive, SHA256, Bin, URI string
}

type krewData struct {
	Version   string
	Platforms []krewPlatform
}

func runKrew(args []string) error {
	fs := flag.NewFlagSet("dist krew", flag.ContinueOnError)
	version := versionFlag(fs)
	sums := fs.String("sums", "dist/SHA256SUMS", "checksums written by `dist build`")
	tmpl := fs.String("template", "krew/promote.yaml.tmpl", "manifest template")
	out := fs.String("o", "krew/promote.yaml", "manifest to write")
	platforms := fs.String("platforms", "", "comma-separated GOOS/GOARCH list (default: every release platform)")
	base := fs.String("base-url", "https://github.com/kubectl-promote/kubectl-promote/releases/download/{{.Version}}",
		"where the archives are downloaded from (a template over the version)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkVersion(*version); err != nil {
		return err
	}
	only, err := parsePlatforms(*platforms)
	if err != nil {
		return err
	}
	data, err := krewDataFrom(*version, *sums, *base, only)
	if err != nil {
		return err
	}
	return renderManifest(*tmpl, *out, data)
}

// krewDataFrom pairs each platform with its archive's checksum; a platform
// missing from the sums file is an error, so the manifest never names an
// archive that was not built.
func krewDataFrom(version, sumsFile, baseTmpl string, platforms []Platform) (krewData, error) {
	sums, err := readSums(sumsFile)
	if err != nil {
		return krewData{}, err
	}
	base, err := execString(baseTmpl, krewData{Version: version})
	if err != nil {
		return krewData{}, fmt.Errorf("-base-url: %w", err)
	}
	d := krewData{Version: version}
	for _, p := range platforms {
		name := p.Archive(version)
		sum, ok := sums[name]
		if !ok {
			return d, fmt.Errorf("%s has no checksum of %s: run `make dist` for version %s first", sumsFile, name, version)
		}
		d.Platforms = append(d.Platforms, krewPlatform{
			OS: p.OS, Arch: p.Arch, Archive: name, SHA256: sum, Bin: p.Exe(),
			URI: strings.TrimSuffix(base, "/") + "/" + name,
		})
	}
	return d, nil
}

// readSums reads sha256sum's format: "<hex>  <name>" per line.
func readSums(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			return nil, fmt.Errorf("%s:%d: want \"<sha256>  <file>\"", path, n)
		}
		out[name] = sum
	}
	return out, sc.Err()
}

func execString(text string, data any) (string, error) {
	t, err := template.New("").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = t.Execute(&b, data)
	return b.String(), err
}

func renderManifest(tmplFile, out string, data krewData) error {
	text, err := os.ReadFile(tmplFile)
	if err != nil {
		return err
	}
	s, err := execString(string(text), data)
	if err != nil {
		return fmt.Errorf("%s: %w", tmplFile, err)
	}
	if err := os.WriteFile(out, []byte(s), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "dist: wrote %s for %s\n", out, data.Version)
	return nil
}
