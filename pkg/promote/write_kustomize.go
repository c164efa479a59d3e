package promote

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// kustomizationNames are the file names kustomize reads, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// writeKustomize sets an images: entry per promoted reference in the
// kustomization of dir: the entry whose newName (or, without one, name) is
// the repository gets newTag and digest; a missing entry is added.
func writeKustomize(dir string, promoted []release.Artifact) (map[string][]byte, error) {
	path, err := kustomizationFile(dir)
	if err != nil {
		return nil, err
	}
	f, err := loadYAML(path)
	if err != nil {
		return nil, err
	}
	_, images := lookup(f.root, "images")
	if images != nil && images.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: images must be a list", path, images.Line)
	}
	var added [][]string
	for _, a := range promoted {
		repo, tag, digest := splitRef(a.Ref)
		entry := findImage(images, repo)
		if entry == nil {
			added = append(added, newImageEntry(repo, tag, digest))
			continue
		}
		if err := f.setImage(entry, tag, digest); err != nil {
			return nil, err
		}
	}
	if err := f.addImages(images, added); err != nil {
		return nil, err
	}
	return map[string][]byte{path: f.bytes()}, nil
}

func kustomizationFile(dir string) (string, error) {
	for _, n := range kustomizationNames {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: no kustomization.yaml", dir)
}

// findImage returns the images: entry that produces repo.
func findImage(images *yaml.Node, repo string) *yaml.Node {
	if images == nil {
		return nil
	}
	for _, e := range images.Content {
		_, name := lookup(e, "name")
		_, newName := lookup(e, "newName")
		switch {
		case newName != nil && newName.Value == repo:
			return e
		case newName == nil && name != nil && name.Value == repo:
			return e
		}
	}
	return nil
}

func newImageEntry(repo, tag, digest string) []string {
	lines := []string{"name: " + scalar(repo)}
	if tag != "" {
		lines = append(lines, "newTag: "+scalar(tag))
	}
	if digest != "" {
		lines = append(lines, "digest: "+scalar(digest))
	}
	return lines
}

// setImage updates an entry's newTag and digest; a field the reference
// lacks is removed, a field the entry lacks is added after its name.
func (f *yamlFile) setImage(entry *yaml.Node, tag, digest string) error {
	var missing []string
	for _, kv := range [][2]string{{"newTag", tag}, {"digest", digest}} {
		k, v := lookup(entry, kv[0])
		switch {
		case v != nil && kv[1] == "":
			f.deleteKey(k, v)
		case v != nil:
			if err := f.setScalar(v, kv[1]); err != nil {
				return err
			}
		case kv[1] != "":
			missing = append(missing, kv[0]+": "+scalar(kv[1]))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if entry.Style == yaml.FlowStyle {
		return fmt.Errorf("%s:%d: cannot add %v to a flow-style images entry; write it as a block", f.path, entry.Line, missing)
	}
	last := entry.Content[len(entry.Content)-1]
	f.insertAfter(last, entry.Content[0].Column, missing)
	return nil
}

// addImages adds entries to the images list, or the list itself.
func (f *yamlFile) addImages(images *yaml.Node, entries [][]string) error {
	if len(entries) == 0 {
		return nil
	}
	if images == nil {
		lines := []string{"images:"}
		for _, e := range entries {
			lines = append(lines, "- "+e[0])
			for _, l := range e[1:] {
				lines = append(lines, "  "+l)
			}
		}
		f.appendLines(lines)
		return nil
	}
	if images.Style == yaml.FlowStyle || len(images.Content) == 0 {
		return fmt.Errorf("%s:%d: cannot add to a flow-style or empty images list; write it as a block list", f.path, images.Line)
	}
	first, last := images.Content[0], images.Content[len(images.Content)-1]
	for _, e := range entries {
		f.appendItem(first, last, e)
	}
	return nil
}

// appendItem adds a list item after last, its dash indented like first's.
func (f *yamlFile) appendItem(first, last *yaml.Node, lines []string) {
	key := first
	if first.Kind == yaml.MappingNode && len(first.Content) > 0 {
		key = first.Content[0]
	}
	prefix := string(f.src[f.lines[key.Line-1]:f.offset(key.Line, key.Column)])
	out := make([]string, len(lines))
	for i, l := range lines {
		if i == 0 {
			out[i] = prefix + l
		} else {
			out[i] = strings.Repeat(" ", len(prefix)) + l
		}
	}
	f.insertAfter(last, 1, out)
}
