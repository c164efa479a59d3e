package diff

import (
	"encoding/base64"
	"fmt"
	"maps"

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
// .stringData.<key> (DESIGN §7). Other objects are left alone.
func StringDataToData(u *unstructured.Unstructured) error {
	if !IsSecret(u) {
		return nil
	}
	if v, ok := u.Object["stringData"]; ok && v == nil {
		delete(u.Object, "stringData")
		return nil
	}
	sd, found, err := unstructured.NestedMap(u.Object, "stringData")
	if err != nil {
		return fmt.Errorf("%s: stringData: %w", kube.RefOf(u), err)
	}
	if !found {
		return nil
	}
	data, _, err := unstructured.NestedMap(u.Object, "data")
	if err != nil {
		return fmt.Errorf("%s: data: %w", kube.RefOf(u), err)
	}
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range sd {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: stringData.%s: want a string, got %T", kube.RefOf(u), k, v)
		}
		data[k] = base64.StdEncoding.EncodeToString([]byte(s))
	}
	unstructured.RemoveNestedField(u.Object, "stringData")
	return unstructured.SetNestedMap(u.Object, data, "data")
}
