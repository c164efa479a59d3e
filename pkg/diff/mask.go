package diff

import (
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The markers that replace Secret values. They keep the key and say how
// the value changes, never what it is.
const (
	MaskSame    = "***"
	MaskBefore  = "*** (before)"
	MaskChanged = "*** (changed)"
	MaskAdded   = "+++ (added)"
	MaskRemoved = "--- (removed)"
)

// MaskSecrets returns copies of live and desired whose Secret values are
// replaced by markers: data and stringData values, the last-applied
// annotation, and any other annotation value that contains one of the
// Secret's values (plain or base64). A key in both with the same value
// becomes MaskSame on both sides; with different values MaskBefore and
// MaskChanged; a key only in desired MaskAdded, only in live MaskRemoved.
// Objects that are not Secrets are returned as they are; either may be nil.
func MaskSecrets(live, desired *unstructured.Unstructured) (*unstructured.Unstructured, *unstructured.Unstructured) {
	if !IsSecret(live) && !IsSecret(desired) {
		return live, desired
	}
	r := NewRedactor(live, desired)
	live, desired = copyOrNil(live), copyOrNil(desired)
	for _, field := range []string{"data", "stringData"} {
		l, d := nestedMap(live, field), nestedMap(desired, field)
		maskPair(l, d)
		setNestedMap(live, l, field)
		setNestedMap(desired, d, field)
	}
	l, d := annotations(live), annotations(desired)
	maskKey(l, d, LastAppliedAnnotation)
	for _, m := range []map[string]string{l, d} {
		for k, v := range m {
			m[k] = r.String(v)
		}
	}
	setAnnotations(live, l)
	setAnnotations(desired, d)
	return live, desired
}

// maskPair replaces the values of two maps by markers, in place.
func maskPair(live, desired map[string]any) {
	for k, lv := range live {
		dv, ok := desired[k]
		switch {
		case !ok:
			live[k] = MaskRemoved
		case reflect.DeepEqual(lv, dv):
			live[k], desired[k] = MaskSame, MaskSame
		default:
			live[k], desired[k] = MaskBefore, MaskChanged
		}
	}
	for k := range desired {
		if _, ok := live[k]; !ok {
			desired[k] = MaskAdded
		}
	}
}

// maskKey masks one key of two string maps the way maskPair does.
func maskKey(live, desired map[string]string, key string) {
	lv, lok := live[key]
	dv, dok := desired[key]
	switch {
	case lok && dok && lv == dv:
		live[key], desired[key] = MaskSame, MaskSame
	case lok && dok:
		live[key], desired[key] = MaskBefore, MaskChanged
	case lok:
		live[key] = MaskRemoved
	case dok:
		desired[key] = MaskAdded
	}
}

func copyOrNil(u *unstructured.Unstructured) *unstructured.Unstructured {
	if u == nil {
		return nil
	}
	return u.DeepCopy()
}

// nestedMap returns the map at field, nil when absent or not a map.
func nestedMap(u *unstructured.Unstructured, field string) map[string]any {
	if u == nil {
		return nil
	}
	m, _ := u.Object[field].(map[string]any)
	return m
}

func setNestedMap(u *unstructured.Unstructured, m map[string]any, field string) {
	if u != nil && m != nil {
		u.Object[field] = m
	}
}

func annotations(u *unstructured.Unstructured) map[string]string {
	if u == nil {
		return nil
	}
	return u.GetAnnotations()
}

func setAnnotations(u *unstructured.Unstructured, a map[string]string) {
	if u != nil && a != nil {
		u.SetAnnotations(a)
	}
}
