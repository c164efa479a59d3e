package render

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// docSeparator is a YAML document marker on a line of its own.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*(?:#.*)?$`)

const sourcePrefix = "# Source: "

// parseManifest splits Helm's release manifest into objects, each with the
// template it came from (Helm's "# Source:" comment).
func parseManifest(manifest string) ([]object, error) {
	var objs []object
	source := ""
	for _, doc := range docSeparator.Split(manifest, -1) {
		if s, ok := sourceOf(doc); ok {
			source = s
		}
		list, err := decodeDoc([]byte(doc))
		if err != nil {
			return nil, yamlError(source, err)
		}
		for _, u := range list {
			objs = append(objs, object{Unstructured: u, source: source})
		}
	}
	return objs, nil
}

// sourceOf returns the template named by the document's first line.
func sourceOf(doc string) (string, bool) {
	doc = strings.TrimLeft(doc, "\n")
	if !strings.HasPrefix(doc, sourcePrefix) {
		return "", false
	}
	line, _, _ := strings.Cut(doc[len(sourcePrefix):], "\n")
	return strings.TrimSpace(line), true
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
