package pipeline

import (
	"fmt"
	"strings"

	"k8s.io/client-go/util/jsonpath"
)

// ParseJSONPath parses a web check's jsonPath with client-go's JSONPath
// (kubectl's -o jsonpath): "$.data.rate", "{$.items[0].value}",
// "$.items[?(@.name=='web')].rate", "$.items[0:2].value". Braces are
// optional around a path of one expression; "" and "$" select the whole
// document.
func ParseJSONPath(p string) (*jsonpath.JSONPath, error) {
	t := strings.TrimSpace(p)
	switch {
	case t == "":
		t = "{$}"
	case !strings.HasPrefix(t, "{"):
		t = "{" + t + "}"
	}
	// client-go would read a bare word as an identifier and fail only
	// when run.
	if in := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, "{"), "}")); !strings.HasPrefix(in, "$") && !strings.HasPrefix(in, ".") {
		return nil, fmt.Errorf("jsonPath %q must start with $ (or .), like $.data.rate", p)
	}
	tree, err := jsonpath.Parse("jsonPath", t)
	if err != nil {
		return nil, fmt.Errorf("jsonPath %q: %w", p, err)
	}
	// Text around or between expressions would be selected as a value.
	if nodes := tree.Root.Nodes; len(nodes) != 1 || nodes[0].Type() != jsonpath.NodeList {
		return nil, fmt.Errorf("jsonPath %q must be one expression, like $.data.rate or {$.data.rate}", p)
	}
	j := jsonpath.New("jsonPath")
	if err := j.Parse(t); err != nil {
		return nil, fmt.Errorf("jsonPath %q: %w", p, err)
	}
	return j, nil
}
