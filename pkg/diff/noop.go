package diff

import (
	"encoding/json"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ProvenUnchanged reports whether server-side applying obj as manager
// to live would leave live as it is, judged from live alone: manager's
// Apply entry in live's managedFields (for obj's apiVersion) owns exactly
// the fields obj sets, and live holds obj's values there. Then the apply
// sets no new value, takes no field from anyone and, since manager owns
// nothing obj lacks, removes nothing.
//
// It answers false whenever it cannot tell — another apiVersion, a value
// the server would write differently ("0.5" CPU stored as "500m"), a list
// in another order — so a false answer only means "ask the server". A
// mutating admission webhook that rewrites objects on every write is the
// one change it cannot see; Options.AlwaysDryRun covers that case.
func ProvenUnchanged(live, obj *unstructured.Unstructured, manager string) bool {
	if live == nil || obj == nil || live.GetDeletionTimestamp() != nil {
		return false
	}
	fields, ok := applyFields(live, manager, obj.GetAPIVersion())
	if !ok {
		return false
	}
	return matchMap(appliedContent(obj), live.Object, fields)
}

// applyFields returns the fieldsV1 set of manager's only Apply entry for
// apiVersion on the main resource.
func applyFields(live *unstructured.Unstructured, manager, apiVersion string) (map[string]any, bool) {
	var found map[string]any
	n := 0
	for _, e := range live.GetManagedFields() {
		if e.Manager != manager || e.Operation != "Apply" || e.Subresource != "" {
			continue
		}
		n++
		if e.APIVersion != apiVersion || e.FieldsV1 == nil || json.Unmarshal(e.FieldsV1.GetRawBytes(), &found) != nil {
			return nil, false
		}
	}
	return found, n == 1
}

// appliedContent is obj without what managed fields never record: its
// type and identity.
func appliedContent(obj *unstructured.Unstructured) map[string]any {
	c := make(map[string]any, len(obj.Object))
	for k, v := range obj.Object {
		if k != "apiVersion" && k != "kind" {
			c[k] = v
		}
	}
	if md, ok := c["metadata"].(map[string]any); ok {
		rest := make(map[string]any, len(md))
		for k, v := range md {
			if k != "name" && k != "namespace" {
				rest[k] = v
			}
		}
		if len(rest) == 0 {
			delete(c, "metadata")
		} else {
			c["metadata"] = rest
		}
	}
	return c
}

// matchValue checks one applied value against live and its field set:
// an empty set means the value is atomic (a leaf, an atomic map or list).
func matchValue(c, l any, f map[string]any) bool {
	if len(f) == 0 {
		return jsonEqual(c, l)
	}
	switch cv := c.(type) {
	case map[string]any:
		return matchMap(cv, l, f)
	case []any:
		return matchList(cv, l, f)
	}
	return false
}

// matchMap requires the set's members to be exactly c's keys (and "."),
// each matching.
func matchMap(c map[string]any, l any, f map[string]any) bool {
	lm, ok := l.(map[string]any)
	if !ok {
		return false
	}
	n := 0
	for fk := range f {
		if fk == "." {
			continue
		}
		k, ok := strings.CutPrefix(fk, "f:")
		if _, in := c[k]; !ok || !in {
			return false
		}
		n++
	}
	if n != len(c) {
		return false
	}
	for k, cv := range c {
		sub, _ := f["f:"+k].(map[string]any)
		lv, in := lm[k]
		if !in || !matchValue(cv, lv, sub) {
			return false
		}
	}
	return true
}

// matchList handles associative lists (members "k:{…}") and sets
// ("v:…"); any other granular list is left to the server.
func matchList(c []any, l any, f map[string]any) bool {
	ll, ok := l.([]any)
	if !ok || len(f) != len(c) {
		return false
	}
	var pairs [][2]int // applied index, live index
	for fk, sub := range f {
		ci, li := -1, -1
		switch {
		case strings.HasPrefix(fk, "k:"):
			ci, li = matchKeyed(fk[2:], c, ll, sub)
		case strings.HasPrefix(fk, "v:"):
			ci, li = matchSetValue(fk[2:], c, ll)
		}
		if ci < 0 || li < 0 {
			return false
		}
		pairs = append(pairs, [2]int{ci, li})
	}
	return inOrder(pairs, len(c))
}

// matchKeyed finds the applied item and the live item of key and checks
// them; it returns their indexes, -1 when they do not match.
func matchKeyed(rawKey string, c, l []any, f any) (int, int) {
	var k map[string]any
	sub, ok := f.(map[string]any)
	if json.Unmarshal([]byte(rawKey), &k) != nil || !ok {
		return -1, -1
	}
	li := slices.IndexFunc(l, func(it any) bool { return hasKey(it, k, false) })
	ci := slices.IndexFunc(c, func(it any) bool { return hasKey(it, k, true) })
	if li < 0 || ci < 0 {
		return -1, -1
	}
	item, _ := c[ci].(map[string]any)
	if !matchMap(item, l[li], sub) {
		return -1, -1
	}
	return ci, li
}

// hasKey reports whether item carries key's values; an applied item may
// lack a key field the server defaults (a port's protocol), which the
// live item then has.
func hasKey(item any, key map[string]any, applied bool) bool {
	m, ok := item.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range key {
		iv, in := m[k]
		if !in && applied {
			continue
		}
		if !in || !jsonEqual(iv, v) {
			return false
		}
	}
	return true
}

// matchSetValue returns the indexes of the set member raw in both lists.
func matchSetValue(raw string, c, l []any) (int, int) {
	var v any
	if json.Unmarshal([]byte(raw), &v) != nil {
		return -1, -1
	}
	eq := func(it any) bool { return jsonEqual(it, v) }
	return slices.IndexFunc(c, eq), slices.IndexFunc(l, eq)
}

// inOrder reports whether every applied item was matched once and the
// live items keep the applied order: applying another order would
// reorder the list.
func inOrder(pairs [][2]int, n int) bool {
	slices.SortFunc(pairs, func(a, b [2]int) int { return a[1] - b[1] })
	for i, p := range pairs {
		if p[0] != i || i > 0 && pairs[i-1][1] == p[1] {
			return false
		}
	}
	return len(pairs) == n
}

// jsonEqual compares decoded JSON values, numbers by value (renderers
// give float64 or int64 for the same number).
func jsonEqual(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, v := range av {
			w, in := bv[k]
			if !in || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		return ok && len(av) == len(bv) && listEqual(av, bv)
	}
	return a == b
}

func listEqual(a, b []any) bool {
	for i := range a {
		if !jsonEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
