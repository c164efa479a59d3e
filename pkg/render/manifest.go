package render

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/input"
)

// docSeparator is a YAML document marker on a line of its own.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*(?:#.*)?$`)

// splitRendered turns the chart's CRDs and rendered templates into objects
// and hooks the way Helm's install does (releaseutil.SortManifests):
// files in name order, partials (_*) and NOTES.txt skipped, documents split
// as Helm splits them, and a document annotated helm.sh/hook is a hook.
func splitRendered(chrt *chart.Chart, files map[string]string, paths chartPaths) (objs, hooks []object, err error) {
	for _, crd := range chrt.CRDObjects() {
		list, err := decodeFile(string(crd.File.Data), paths.local(crd.Filename))
		if err != nil {
			return nil, nil, err
		}
		objs = append(objs, list...)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" || strings.TrimSpace(files[name]) == "" {
			continue
		}
		list, err := decodeFile(files[name], paths.local(name))
		if err != nil {
			return nil, nil, err
		}
		for _, o := range list {
			if _, ok := o.GetAnnotations()[HookAnnotation]; ok {
				hooks = append(hooks, o)
				continue
			}
			objs = append(objs, o)
		}
	}
	return objs, hooks, nil
}

// decodeFile decodes the documents of one rendered file.
func decodeFile(content, source string) ([]object, error) {
	var objs []object
	for _, doc := range splitDocs(content) {
		list, err := decodeDoc([]byte(doc))
		if err != nil {
			return nil, renderedYAMLError(source, []byte(doc), err)
		}
		for _, u := range list {
			objs = append(objs, object{Unstructured: u, source: source})
		}
	}
	return objs, nil
}

// splitDocs splits a rendered file into documents where Helm splits it
// (releaseutil.SplitManifests): at "---" at the start of a line. Helm uses
// a regular expression that also swallows the whitespace around each
// marker; the documents are trimmed here instead, which costs a tenth as
// much on a large chart. TestSplitDocsMatchesHelm holds the two together.
func splitDocs(s string) []string {
	var docs []string
	for {
		i := separatorIndex(s)
		end := i
		if i < 0 {
			end = len(s)
		}
		if d := strings.TrimSpace(s[:end]); d != "" {
			docs = append(docs, d)
		}
		if i < 0 {
			return docs
		}
		s = s[i+len("---"):]
	}
}

// separatorIndex is the index of the first "---" at the start of a line.
func separatorIndex(s string) int {
	if strings.HasPrefix(s, "---") {
		return 0
	}
	if i := strings.Index(s, "\n---"); i >= 0 {
		return i + 1
	}
	return -1
}

// renderedYAMLError places a YAML error in a rendered template: the line is
// of the rendered document, which is not the template's.
func renderedYAMLError(source string, doc []byte, err error) error {
	if line, problem := yamlSyntax(err.Error()); line > 0 {
		line = input.LastLine(doc, line)
		return fmt.Errorf("%s: the rendered YAML is invalid: line %d of the document: %s", source, line, problem)
	}
	return fmt.Errorf("%s: %w", source, err)
}

// decodeDoc decodes one YAML document: nothing for an empty one, the items
// of a List, the object otherwise.
func decodeDoc(doc []byte) ([]*unstructured.Unstructured, error) {
	v, err := decodeYAML(doc)
	if err != nil || v == nil {
		return nil, err
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("a manifest must be a YAML mapping (an object), found %s", firstLine(doc))
	}
	u := &unstructured.Unstructured{Object: m}
	if u.GetKind() == "" || u.GetAPIVersion() == "" {
		return nil, fmt.Errorf("a manifest needs apiVersion and kind, found none in the document starting %s", firstLine(doc))
	}
	if !u.IsList() {
		return []*unstructured.Unstructured{u}, nil
	}
	l, err := u.ToList()
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, nil
}

func firstLine(doc []byte) string {
	for _, l := range strings.Split(string(doc), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return fmt.Sprintf("%q", l)
		}
	}
	return "nothing"
}
