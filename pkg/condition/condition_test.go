package condition

import (
	"math"
	"testing"
)

func TestEval(t *testing.T) {
	tests := []struct {
		cond   string
		result any
		want   bool
	}{
		{"result < 0.05", 0.01, true},
		{"result < 0.05", 0.31, false},
		{"result[0] >= 0.95", []float64{0.97}, true},
		{"result[0] >= 0.95", []any{0.5}, false},
		{`result.status == "ok"`, map[string]any{"status": "ok"}, true},
		{"len(result) > 0", []any{}, false},
		{"result == true", true, true},
		{"isNaN(result)", math.NaN(), true},
		{"default(result, 0) < 1", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			c, err := Compile(tt.cond)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Eval(tt.result)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Eval(%v) = %v, want %v", tt.result, got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	for _, src := range []string{"result <", "1 + 2", "nosuch > 1"} {
		if _, err := Compile(src); err == nil {
			t.Errorf("Compile(%q): no error", src)
		}
	}
}
