package analysis

import (
	"fmt"
	"strconv"
	"strings"
)

// pathStep is one step of a simple JSONPath: a key or an index.
type pathStep struct {
	key   string
	index int
	isIdx bool
}

// parsePath reads "$", "$.a.b", "$.items[0].value", "$['a-b']" (also
// Argo's "{$.a}" form).
func parsePath(p string) ([]pathStep, error) {
	p = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(p), "{"), "}")
	if p == "" || p == "$" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "$") {
		return nil, fmt.Errorf("jsonPath %q must start with $", p)
	}
	var out []pathStep
	rest := p[1:]
	for rest != "" {
		switch {
		case rest[0] == '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			if end == 0 {
				return nil, fmt.Errorf("jsonPath %q: empty key", p)
			}
			out, rest = append(out, pathStep{key: rest[1 : end+1]}), rest[end+1:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("jsonPath %q: missing ]", p)
			}
			in := rest[1:end]
			if q := strings.Trim(in, `'"`); len(q) == len(in)-2 {
				out = append(out, pathStep{key: q})
			} else if n, err := strconv.Atoi(in); err == nil {
				out = append(out, pathStep{index: n, isIdx: true})
			} else {
				return nil, fmt.Errorf("jsonPath %q: [%s] is neither an index nor a quoted key", p, in)
			}
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("jsonPath %q: unexpected %q", p, rest)
		}
	}
	return out, nil
}

// selectPath follows path through a decoded JSON document.
func selectPath(doc any, path []pathStep) (any, error) {
	cur := doc
	for i, st := range path {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[st.key]
			if st.isIdx || !ok {
				return nil, fmt.Errorf("no %s at step %d", st, i+1)
			}
			cur = next
		case []any:
			n := st.index
			if n < 0 {
				n += len(v)
			}
			if !st.isIdx || n < 0 || n >= len(v) {
				return nil, fmt.Errorf("no %s at step %d (list of %d)", st, i+1, len(v))
			}
			cur = v[n]
		default:
			return nil, fmt.Errorf("no %s at step %d: %T has no children", st, i+1, cur)
		}
	}
	return cur, nil
}

func (s pathStep) String() string {
	if s.isIdx {
		return fmt.Sprintf("[%d]", s.index)
	}
	return strconv.Quote(s.key)
}
