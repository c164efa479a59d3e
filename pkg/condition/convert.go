package condition

import (
	"fmt"
	"strconv"
	"strings"
)

// asInt is Argo Rollouts' asInt: a number truncated to an integer, or a
// string holding a decimal integer ("3", not "3.5"). Anything else is an
// error (Argo panics), which makes the measurement an Error.
func asInt(v any) (int64, error) {
	switch x := v.(type) {
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("asInt(%q): not an integer", x)
		}
		return n, nil
	case bool, nil:
		return 0, fmt.Errorf("asInt(%s): not a number or a string", Format(v))
	}
	f, err := number(v)
	if err != nil {
		return 0, fmt.Errorf("asInt(%s): %w", Format(v), err)
	}
	return int64(f), nil
}

// asFloat is Argo Rollouts' asFloat: a number, or a string holding one
// ("0.95", "NaN", "+Inf" as Prometheus writes them).
func asFloat(v any) (float64, error) {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, fmt.Errorf("asFloat(%q): not a number", s)
		}
		return f, nil
	}
	f, err := number(v)
	if err != nil {
		return 0, fmt.Errorf("asFloat(%s): %w", Format(v), err)
	}
	return f, nil
}

// number reads Go's numeric kinds as a float64.
func number(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	}
	return 0, fmt.Errorf("not a number or a string; index a list first, e.g. result[0]")
}
