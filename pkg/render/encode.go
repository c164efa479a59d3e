package render

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// Encode writes objs as multi-document YAML ("yaml", documents separated by
// "---") or as a JSON v1 List ("json"), in the order given.
func Encode(w io.Writer, objs []*unstructured.Unstructured, format string) error {
	// Buffered, so that a large render is not a write system call per
	// object when w is stdout.
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	switch format {
	case "yaml":
		err = encodeYAML(bw, objs)
	case "json":
		err = encodeJSON(bw, objs)
	default:
		return exitcode.With(exitcode.BadInput, fmt.Errorf("unknown output format %q: use yaml or json", format))
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// encodeYAML writes what sigs.k8s.io/yaml.Marshal (kubectl's -o yaml)
// writes, without its detour: that marshals to JSON, parses the JSON back
// with go-yaml and marshals the result, and the detour is most of the cost
// of printing a large render. Objects hold only JSON types (strings,
// int64, float64, bool, nil, maps with string keys, slices), which go-yaml
// writes exactly as it writes them back from JSON; the golden tests pin
// the output.
func encodeYAML(w io.Writer, objs []*unstructured.Unstructured) error {
	for i, o := range objs {
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			return fmt.Errorf("encode %s: %w", Ref(o), err)
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func encodeJSON(w io.Writer, objs []*unstructured.Unstructured) error {
	items := make([]map[string]interface{}, len(objs))
	for i, o := range objs {
		items[i] = o.Object
	}
	list := struct {
		APIVersion string                   `json:"apiVersion"`
		Kind       string                   `json:"kind"`
		Items      []map[string]interface{} `json:"items"`
	}{"v1", "List", items}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(list)
}
