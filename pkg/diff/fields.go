package diff

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FieldChanges lists the leaves that differ between live and desired, in
// path order. A map or list that exists on one side only is one change,
// not one per leaf. Lists whose items all carry a "name" are matched by
// name (.spec.containers[name=web].image), other lists by index.
func FieldChanges(live, desired *unstructured.Unstructured) []FieldChange {
	var l, d map[string]any
	if live != nil {
		l = live.Object
	}
	if desired != nil {
		d = desired.Object
	}
	var out []FieldChange
	walk("", l, d, &out)
	return out
}

func walk(path string, old, new any, out *[]FieldChange) {
	if equality.Semantic.DeepEqual(old, new) {
		return
	}
	switch o := old.(type) {
	case map[string]any:
		if n, ok := new.(map[string]any); ok {
			walkMaps(path, o, n, out)
			return
		}
	case []any:
		if n, ok := new.([]any); ok {
			walkLists(path, o, n, out)
			return
		}
	}
	*out = append(*out, FieldChange{Path: path, Old: old, New: new})
}

func walkMaps(path string, old, new map[string]any, out *[]FieldChange) {
	keys := make([]string, 0, len(old)+len(new))
	for k := range old {
		keys = append(keys, k)
	}
	for k := range new {
		if _, ok := old[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		walk(path+segment(k), old[k], new[k], out)
	}
}

func walkLists(path string, old, new []any, out *[]FieldChange) {
	if (len(old) == 0 || named(old)) && (len(new) == 0 || named(new)) {
		walkNamed(path, byName(old), byName(new), out)
		return
	}
	for i := range max(len(old), len(new)) {
		var o, n any
		if i < len(old) {
			o = old[i]
		}
		if i < len(new) {
			n = new[i]
		}
		walk(fmt.Sprintf("%s[%d]", path, i), o, n, out)
	}
}

// walkNamed walks two lists keyed by name, in the order the names first
// appear (desired first), so the output follows the object.
func walkNamed(path string, old, new []namedItem, out *[]FieldChange) {
	find := func(items []namedItem, name string) any {
		for _, it := range items {
			if it.name == name {
				return it.value
			}
		}
		return nil
	}
	seen := map[string]bool{}
	for _, list := range [][]namedItem{new, old} {
		for _, it := range list {
			if seen[it.name] {
				continue
			}
			seen[it.name] = true
			walk(path+"[name="+it.name+"]", find(old, it.name), find(new, it.name), out)
		}
	}
}

type namedItem struct {
	name  string
	value any
}

// named reports whether every item of a list is a map with a unique
// string "name".
func named(list []any) bool {
	seen := map[string]bool{}
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return false
		}
		n, ok := m["name"].(string)
		if !ok || seen[n] {
			return false
		}
		seen[n] = true
	}
	return true
}

func byName(list []any) []namedItem {
	out := make([]namedItem, len(list))
	for i, it := range list {
		out[i] = namedItem{name: it.(map[string]any)["name"].(string), value: it}
	}
	return out
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// segment renders one map key of a path: .key, or ["odd.key/name"].
func segment(k string) string {
	if plainKey.MatchString(k) {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}
