package condition

import (
	"encoding/json"
	"strconv"
)

// Format writes a measured value short and plain: 0.31, [0.31 0.02], "ok",
// {"status":"ok"}.
func Format(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(x, 'g', 6, 64)
	case []float64:
		return list(len(x), func(i int) any { return x[i] })
	case []any:
		return list(len(x), func(i int) any { return x[i] })
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	const max = 200
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

func list(n int, at func(int) any) string {
	s := "["
	for i := range n {
		if i > 0 {
			s += " "
		}
		s += Format(at(i))
	}
	return s + "]"
}
