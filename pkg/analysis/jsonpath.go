package analysis

import (
	"errors"
	"reflect"
	"strings"

	"k8s.io/client-go/util/jsonpath"
)

// errNoMatch is a path that matched nothing, such as a filter no item passes.
var errNoMatch = errors.New("matched nothing")

// selectPath runs a parsed jsonPath over a decoded JSON document. One
// match is the result itself; several (a wildcard, a slice, a filter
// passing more than one item) are a list, where Argo Rollouts would keep
// only the first.
func selectPath(doc any, path *jsonpath.JSONPath) (any, error) {
	groups, err := path.FindResults(doc)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, g := range groups {
		for _, v := range g {
			out = append(out, value(v))
		}
	}
	switch len(out) {
	case 0:
		return nil, errNoMatch
	case 1:
		return out[0], nil
	}
	return out, nil
}

// wholeDocument says whether path selects the whole answer, which then
// need not be JSON (Argo Rollouts takes a plain answer as a string).
func wholeDocument(path string) bool {
	switch strings.TrimSpace(path) {
	case "", "$", "{$}":
		return true
	}
	return false
}

// value unwraps a match; a JSON null matches as an invalid Value.
func value(v reflect.Value) any {
	if !v.IsValid() || !v.CanInterface() {
		return nil
	}
	return v.Interface()
}
