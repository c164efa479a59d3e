package pipeline

import (
	"strings"
	"testing"
)

func TestParseJSONPath(t *testing.T) {
	for _, p := range []string{"", "$", "{$}", "$.data.rate", "{$.data.rate}", ".data.rate",
		"$.items[?(@.name=='web')].rate", "$.items[0:2].value", "$..rate", "{$.a.b[-1]['c-d']}"} {
		if _, err := ParseJSONPath(p); err != nil {
			t.Errorf("ParseJSONPath(%q): %v", p, err)
		}
	}
	bad := map[string]string{
		"status":           "must start with $ (or .)",
		"$.items[?(@.x ==": "unterminated filter",
		"$.a}{$.b":         "must be one expression",
		"$.a[":             "unterminated array",
		"{":                "must start with $",
	}
	for p, want := range bad {
		if _, err := ParseJSONPath(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseJSONPath(%q) = %v, want %q", p, err, want)
		}
	}
}
