package promote

import (
	"fmt"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// writeHelm sets each promoted reference at its values path in the
// environment's own values file (the last of helm.values). The path is
// helm.imagePaths[repository] when declared, otherwise the first value in
// the environment's values files, then the chart's values.yaml, that holds
// the repository: a mapping with repository (and registry) plus tag, or a
// whole reference string. For a chart from a repository or registry, an
// image no values file of the environment sets is left to the chart
// version (the render after the write checks it).
func writeHelm(p *pipeline.Pipeline, h *pipeline.HelmSource, promoted []release.Artifact) (map[string][]byte, error) {
	if len(h.Values) == 0 && h.Remote() {
		return map[string][]byte{}, nil // the chart version carries its images
	}
	if len(h.Values) == 0 {
		return nil, fmt.Errorf("helm source %s has no values file of its own to write into: add one to helm.values", h.Chart)
	}
	target, err := loadYAML(p.Resolve(h.Values[len(h.Values)-1]))
	if err != nil {
		return nil, err
	}
	var search []string
	if !h.Remote() {
		search = append(search, filepath.Join(p.Resolve(h.Chart), "values.yaml"))
	}
	for _, v := range h.Values {
		search = append(search, p.Resolve(v))
	}
	for _, a := range promoted {
		repo, tag, digest := splitRef(a.Ref)
		path, form, err := imagePath(h, search, repo)
		if err != nil && h.Remote() {
			continue // set by the chart: the written chart version carries it
		}
		if err != nil {
			return nil, err
		}
		if err := target.setImageValue(path, form, a.Ref, tag, digest); err != nil {
			return nil, err
		}
	}
	return map[string][]byte{target.path: target.bytes()}, nil
}

// How a values path holds an image.
const (
	formString = "string" // the whole reference
	formMap    = "map"    // repository + tag (+ digest)
	formDigest = "digest" // repository + tag + digest keys
)

// imagePath finds where repo is set: declared, or detected in files (the
// last file wins, the environment's own values override the chart's).
func imagePath(h *pipeline.HelmSource, files []string, repo string) ([]string, string, error) {
	var path []string
	form := ""
	for _, file := range files {
		f, err := loadYAML(file)
		if err != nil {
			continue // a missing chart values.yaml is fine
		}
		if declared, ok := h.ImagePaths[repo]; ok {
			p := strings.Split(declared, ".")
			if v := walk(f.root, p); v != nil || path == nil {
				path, form = p, formOf(v, form)
			}
			continue
		}
		if p, v := detect(f.root, nil, repo); p != nil {
			path, form = p, formOf(v, form)
		}
	}
	if path == nil {
		return nil, "", fmt.Errorf("no values set image repository %s: declare its values path in promote.yaml (helm.imagePaths: {%q: image})", repo, repo)
	}
	if form == "" { // declared, but set nowhere yet: the whole reference
		form = formString
	}
	return path, form, nil
}

func formOf(v *yaml.Node, prev string) string {
	switch {
	case v == nil:
		return prev
	case v.Kind == yaml.ScalarNode:
		return formString
	}
	if _, d := lookup(v, "digest"); d != nil || prev == formDigest {
		return formDigest
	}
	return formMap
}

// detect walks a values tree for a node holding repo.
func detect(n *yaml.Node, path []string, repo string) ([]string, *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	if holdsRepo(n, repo) {
		return path, n
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := append(append([]string(nil), path...), k.Value)
		if v.Kind == yaml.ScalarNode && v.Value != repo && refRepo(v.Value) == repo {
			return sub, v
		}
		if p, found := detect(v, sub, repo); p != nil {
			return p, found
		}
	}
	return nil, nil
}

func holdsRepo(m *yaml.Node, repo string) bool {
	_, r := lookup(m, "repository")
	if r == nil || r.Kind != yaml.ScalarNode {
		return false
	}
	if r.Value == repo {
		return true
	}
	_, reg := lookup(m, "registry")
	return reg != nil && reg.Value+"/"+r.Value == repo
}

func refRepo(s string) string {
	repo, _, _ := splitRef(s)
	return repo
}

func walk(n *yaml.Node, path []string) *yaml.Node {
	for _, k := range path {
		_, n = lookup(n, k)
		if n == nil {
			return nil
		}
	}
	return n
}

// setImageValue writes ref at path in the form the chart reads.
func (f *yamlFile) setImageValue(path []string, form, ref, tag, digest string) error {
	switch form {
	case formString:
		return f.setPath(path, ref)
	case formDigest:
		if err := f.setPath(append(path, "tag"), tag); err != nil {
			return err
		}
		return f.setPath(append(path, "digest"), digest)
	}
	if tag == "" {
		return fmt.Errorf("values %s: the chart reads repository:tag, and %s has no tag; declare a digest value next to tag", strings.Join(path, "."), ref)
	}
	if digest != "" {
		tag += "@" + digest
	}
	return f.setPath(append(path, "tag"), tag)
}

// setPath sets the scalar at path, adding the missing keys under the
// deepest mapping that exists.
func (f *yamlFile) setPath(path []string, value string) error {
	m := f.root
	for i, k := range path {
		_, v := lookup(m, k)
		switch {
		case v == nil:
			return f.addPath(m, path[i:], value)
		case i == len(path)-1:
			return f.setScalar(v, value)
		case v.Kind != yaml.MappingNode:
			return fmt.Errorf("%s:%d: %s is not a mapping", f.path, v.Line, strings.Join(path[:i+1], "."))
		}
		m = v
	}
	return nil
}

func (f *yamlFile) addPath(m *yaml.Node, path []string, value string) error {
	var lines []string
	for i, k := range path {
		l := strings.Repeat("  ", i) + k + ":"
		if i == len(path)-1 {
			l += " " + scalar(value)
		}
		lines = append(lines, l)
	}
	switch {
	case m == f.root:
		f.appendLines(lines)
	case m.Style == yaml.FlowStyle || len(m.Content) == 0:
		return fmt.Errorf("%s:%d: cannot add %s to a flow-style or empty mapping", f.path, m.Line, strings.Join(path, "."))
	default:
		last := m.Content[len(m.Content)-1]
		f.insertAfter(last, m.Content[0].Column, lines)
	}
	return nil
}
