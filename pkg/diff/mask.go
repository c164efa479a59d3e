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
		maskField(live, desired, field)
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

// maskField masks field of two Secrets: key by key when it is a map on
// both sides, else whole, so a malformed data or stringData (a string, a
// list) never shows as written.
func maskField(live, desired *unstructured.Unstructured, field string) {
	lv, lok := fieldOf(live, field)
	dv, dok := fieldOf(desired, field)
	lm, lmap := lv.(map[string]any)
	dm, dmap := dv.(map[string]any)
	if (!lok || lmap) && (!dok || dmap) {
		maskPair(lm, dm)
		return
	}
	switch {
	case lok && dok && reflect.DeepEqual(lv, dv):
		live.Object[field], desired.Object[field] = MaskSame, MaskSame
	case lok && dok:
		live.Object[field], desired.Object[field] = MaskBefore, MaskChanged
	case lok:
		live.Object[field] = MaskRemoved
	default:
		desired.Object[field] = MaskAdded
	}
}

// fieldOf returns the top-level field of u; a null counts as absent.
func fieldOf(u *unstructured.Unstructured, field string) (any, bool) {
	if u == nil {
		return nil, false
	}
	v, ok := u.Object[field]
	return v, ok && v != nil
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
