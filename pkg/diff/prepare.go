package diff

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Prepare returns copies of objs as diff and apply send them: Secrets'
// stringData turned into data (see StringDataToData) and, when owner is
// set, the owner labels added. Diff and apply must send the same bytes, or
// the diff would not show what apply does.
func Prepare(objs []*unstructured.Unstructured, owner Owner) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		// Known first: an error below may be printed with what the
		// process knows, and output must not show these values.
		Learn(o)
		u := o.DeepCopy()
		if err := StringDataToData(u); err != nil {
			return nil, err
		}
		if l := owner.Labels(); l != nil {
			merged := u.GetLabels()
			if merged == nil {
				merged = map[string]string{}
			}
			maps.Copy(merged, l)
			u.SetLabels(merged)
		}
		out[i] = u
	}
	return out, nil
}

// IsSecret reports whether u is a core/v1 Secret.
func IsSecret(u *unstructured.Unstructured) bool {
	if u == nil {
		return false
	}
	gvk := u.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

// StringDataToData moves a Secret's stringData into data, base64-encoded,
// in place; stringData wins over data for the same key, as on the server.
// stringData is write-only: the server never returns it, so a Secret
// applied with it never matches its live object, and one written with it
// by another field manager makes server-side apply conflict on
// .stringData.<key>. Other objects are left alone.
func StringDataToData(u *unstructured.Unstructured) error {
	if !IsSecret(u) {
		return nil
	}
	if v, ok := u.Object["stringData"]; ok && v == nil {
		delete(u.Object, "stringData")
	}
	// unstructured's own accessors quote the value in their errors: check
	// the shapes here, naming types only.
	data, err := secretField(u, "data", "base64 string")
	if err != nil {
		return err
	}
	sd, err := secretField(u, "stringData", "string")
	if err != nil || sd == nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range sd {
		data[k] = base64.StdEncoding.EncodeToString([]byte(v.(string)))
	}
	delete(u.Object, "stringData")
	u.Object["data"] = data
	return nil
}

// secretField returns a Secret's data or stringData, nil when absent. A
// field that is not a map of strings is an error that says what it is,
// never what it holds: it is a Secret value.
func secretField(u *unstructured.Unstructured, field, want string) (map[string]any, error) {
	v, ok := u.Object[field]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: %s must be a map of key: %s, got %s (value not shown); write it as %s: {KEY: VALUE}",
			kube.RefOf(u), field, want, kindOf(v), field)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if _, ok := m[k].(string); !ok {
			return nil, fmt.Errorf("%s: %s.%s must be a %s, got %s (value not shown); quote it in YAML",
				kube.RefOf(u), field, k, want, kindOf(m[k]))
		}
	}
	return m, nil
}

// kindOf names the JSON type of v.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64, int, json.Number:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	case nil:
		return "null"
	}
	return fmt.Sprintf("a %T", v)
}
