package promote

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// Write persists the promoted artifacts into env's source so a CI job can
// commit what it deployed: image references into the images: list of its
// kustomization.yaml or its own Helm values file, and the chart version of
// a chart from a repository or registry into helm.version of env in the
// pipeline file. Only the scalars holding them change (entries are added
// when missing); comments and formatting stay. The result is rendered
// again and must use exactly the promoted artifacts, or the files are
// restored. It returns the files written.
func Write(ctx context.Context, p *pipeline.Pipeline, env *pipeline.Environment, promoted []release.Artifact) ([]string, error) {
	imgs, chart := splitArtifacts(promoted)
	var files map[string][]byte
	var err error
	switch {
	case env.Source.Kustomize != nil:
		files, err = writeKustomize(p.Resolve(env.Source.Kustomize.Path), imgs)
	case env.Source.Helm != nil:
		files, err = writeHelm(p, env.Source.Helm, imgs)
		if err == nil && chart != nil && env.Source.Helm.Remote() {
			err = writeChartVersion(p, env, chart, files)
		}
	default:
		return nil, fmt.Errorf("environment %s has no source to write into", env.Name)
	}
	if err != nil || len(files) == 0 {
		return nil, err
	}
	return commit(ctx, p, env, files, promoted)
}

// splitArtifacts separates image artifacts from the chart's.
func splitArtifacts(arts []release.Artifact) (images []release.Artifact, chart *release.Artifact) {
	for i, a := range arts {
		switch a.Type {
		case release.ArtifactImage:
			images = append(images, a)
		case release.ArtifactChart:
			chart = &arts[i]
		}
	}
	return images, chart
}

// commit writes files, renders env again and restores the old contents when
// the render does not use every promoted artifact.
func commit(ctx context.Context, p *pipeline.Pipeline, env *pipeline.Environment, files map[string][]byte, promoted []release.Artifact) ([]string, error) {
	old := map[string][]byte{}
	var written []string
	for path, b := range files {
		prev, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		old[path] = prev
		if bytes.Equal(prev, b) {
			continue
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return nil, err
		}
		written = append(written, path)
	}
	if err := verifyWrite(ctx, p, env, files, promoted); err != nil {
		for path, b := range old {
			_ = os.WriteFile(path, b, 0o644)
		}
		return nil, fmt.Errorf("%w (files left unchanged)", err)
	}
	return written, nil
}

func verifyWrite(ctx context.Context, p *pipeline.Pipeline, env *pipeline.Environment, files map[string][]byte, promoted []release.Artifact) error {
	if _, ok := files[p.Path]; ok {
		var err error
		if p, env, err = reload(p.Path, env.Name); err != nil {
			return err
		}
	}
	r, err := render.For(p, env)
	if err != nil {
		return err
	}
	res, err := r.Render(ctx, render.Options{})
	if err != nil {
		return fmt.Errorf("rendering %s after the write: %w", env.Name, err)
	}
	have := map[string]bool{}
	for _, img := range res.Images {
		have[img] = true
	}
	for _, a := range promoted {
		switch a.Type {
		case release.ArtifactImage:
			if !have[a.Ref] {
				return fmt.Errorf("after the write %s does not render %s (it renders %s); declare where the image is set (helm.imagePaths in promote.yaml)",
					env.Name, a.Ref, strings.Join(res.Images, ", "))
			}
		case release.ArtifactChart:
			if v, _ := ChartRef(a.Ref); env.Source.Helm != nil && env.Source.Helm.Remote() && res.ChartVersion != v {
				return fmt.Errorf("after the write %s renders chart version %s, not %s", env.Name, res.ChartVersion, v)
			}
		}
	}
	return nil
}

// reload reads the pipeline file again after it was written.
func reload(path, envName string) (*pipeline.Pipeline, *pipeline.Environment, error) {
	p, err := pipeline.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s after the write: %w", path, err)
	}
	for i := range p.Spec.Environments {
		if p.Spec.Environments[i].Name == envName {
			return p, &p.Spec.Environments[i], nil
		}
	}
	return nil, nil, fmt.Errorf("%s after the write: environment %s is gone", path, envName)
}

// splitRef splits an image reference into repository, tag and digest.
func splitRef(ref string) (repo, tag, digest string) {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	repo = render.ImageRepository(ref)
	tag = strings.TrimPrefix(ref[len(repo):], ":")
	return repo, tag, digest
}

// yamlFile edits a YAML document in its text: the parsed nodes say where
// each scalar is, and only those bytes are replaced, so comments, blank
// lines, indentation and quoting elsewhere stay exactly as they were.
type yamlFile struct {
	path  string
	src   []byte
	root  *yaml.Node // the document's top mapping
	lines []int      // offset of each line start
	edits []textEdit
}

type textEdit struct {
	at, end int // replaced byte range
	text    string
}

func loadYAML(path string) (*yamlFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &yamlFile{path: path, src: b, lines: []int{0}}
	for i, c := range b {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	if len(doc.Content) > 0 && doc.Content[0].Kind == yaml.MappingNode {
		f.root = doc.Content[0]
	}
	if f.root == nil {
		return nil, fmt.Errorf("%s: the document is not a mapping", path)
	}
	return f, nil
}

// offset turns a node's 1-based line and column into a byte offset.
func (f *yamlFile) offset(line, col int) int {
	start := f.lines[line-1]
	n := 0
	for i := range string(f.src[start:]) {
		if n == col-1 {
			return start + i
		}
		n++
	}
	return len(f.src)
}

// setScalar replaces the text of scalar node n with value, keeping its
// quoting, and quoting a plain scalar that would not read back as a string.
func (f *yamlFile) setScalar(n *yaml.Node, value string) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s:%d: expected a scalar", f.path, n.Line)
	}
	if n.Value == value {
		return nil
	}
	at := f.offset(n.Line, n.Column)
	end, err := f.scalarEnd(n, at)
	if err != nil {
		return err
	}
	f.edits = append(f.edits, textEdit{at: at, end: end, text: quoteLike(n.Style, value)})
	return nil
}

func (f *yamlFile) scalarEnd(n *yaml.Node, at int) (int, error) {
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		for i := at + 1; i < len(f.src); i++ {
			if f.src[i] == '\\' {
				i++
			} else if f.src[i] == '"' {
				return i + 1, nil
			}
		}
	case yaml.SingleQuotedStyle:
		for i := at + 1; i < len(f.src); i++ {
			if f.src[i] == '\'' {
				if i+1 < len(f.src) && f.src[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, nil
			}
		}
	case 0:
		if bytes.HasPrefix(f.src[at:], []byte(n.Value)) {
			return at + len(n.Value), nil
		}
	}
	return 0, fmt.Errorf("%s:%d: cannot edit this scalar in place (block or multi-line style)", f.path, n.Line)
}

// quoteLike writes value in the given style; plain values that YAML would
// read as something other than a string get double quotes.
func quoteLike(style yaml.Style, value string) string {
	switch style {
	case yaml.DoubleQuotedStyle:
		return strconv.Quote(value)
	case yaml.SingleQuotedStyle:
		return "'" + strings.ReplaceAll(value, "'", "''") + "'"
	}
	probe := yaml.Node{Kind: yaml.ScalarNode, Value: value}
	if probe.ShortTag() != "!!str" || strings.ContainsAny(value, "#{}[],&*!|>'\"%@`") || strings.Contains(value, ": ") || value == "" {
		return strconv.Quote(value)
	}
	return value
}

// deleteKey removes the whole line(s) of a key and its scalar value, for
// block mappings where they sit on one line.
func (f *yamlFile) deleteKey(key, value *yaml.Node) {
	start := f.lines[key.Line-1]
	end := len(f.src)
	if value.Line < len(f.lines) {
		end = f.lines[value.Line]
	}
	f.edits = append(f.edits, textEdit{at: start, end: end})
}

// insertAfter inserts lines after the line of node n, at column col.
func (f *yamlFile) insertAfter(n *yaml.Node, col int, lines []string) {
	at, line := len(f.src), endLine(n)
	if line < len(f.lines) {
		at = f.lines[line]
	}
	var b strings.Builder
	if at == len(f.src) && at > 0 && f.src[at-1] != '\n' {
		b.WriteString("\n")
	}
	for _, l := range lines {
		b.WriteString(strings.Repeat(" ", col-1) + l + "\n")
	}
	f.edits = append(f.edits, textEdit{at: at, end: at, text: b.String()})
}

// appendLines adds lines at the end of the file.
func (f *yamlFile) appendLines(lines []string) {
	text := strings.Join(lines, "\n") + "\n"
	if len(f.src) > 0 && f.src[len(f.src)-1] != '\n' {
		text = "\n" + text
	}
	f.edits = append(f.edits, textEdit{at: len(f.src), end: len(f.src), text: text})
}

// bytes applies the edits, which never overlap.
func (f *yamlFile) bytes() []byte {
	edits := append([]textEdit(nil), f.edits...)
	// Apply from the end so earlier offsets stay valid; inserts at the same
	// offset keep their order.
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && edits[j].at > edits[j-1].at; j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
	out := append([]byte(nil), f.src...)
	for _, e := range edits {
		out = append(out[:e.at], append([]byte(e.text), out[e.end:]...)...)
	}
	return out
}

// lookup returns the value of key in mapping m, and the key node.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// scalar quotes a value for a new line, as quoteLike does for plain style.
func scalar(v string) string { return quoteLike(0, v) }

// endLine is the last line of node n and everything under it.
func endLine(n *yaml.Node) int {
	line := n.Line
	for _, c := range n.Content {
		line = max(line, endLine(c))
	}
	return line
}
