package diff

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// obj parses a YAML object; nil for the empty string.
func obj(t testing.TB, y string) *unstructured.Unstructured {
	t.Helper()
	if y == "" {
		return nil
	}
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatalf("parse %q: %v", y, err)
	}
	// Decode as the dynamic client does, so integers are int64.
	var m map[string]any
	if err := utiljson.Unmarshal(j, &m); err != nil {
		t.Fatalf("parse %q: %v", y, err)
	}
	return &unstructured.Unstructured{Object: m}
}
