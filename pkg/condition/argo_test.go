package condition

import (
	"math"
	"strings"
	"testing"
)

// TestArgoConditions evaluates conditions as they appear in Argo Rollouts
// AnalysisTemplates (its docs and examples, and public repositories), each
// with a result of the shape its provider measures: Prometheus gives a
// list of floats (vector) or a float (scalar), web the JSON value at
// jsonPath, Datadog and others a float or nothing.
func TestArgoConditions(t *testing.T) {
	web := map[string]any{"ok": true, "successPercent": 0.97, "status": "200", "count": 3.0}
	tests := []struct {
		cond   string
		result any
		want   bool
	}{
		{"result[0] >= 0.95", []float64{0.97}, true},
		{"result[0] >= 0.95", []float64{0.5}, false},
		{"result[0] <= 0.01", []float64{0.001}, true},
		{"len(result) == 0 || result[0] < 10", []float64{}, true},
		{"len(result) == 0 || result[0] < 10", []float64{12}, false},
		{"len(result) > 0 && result[0] < 0.05", []float64{0.01}, true},
		{"len(result) == 1 && result[0] == 1", []float64{1}, true},
		{"len(result) == 0 || isNaN(result[0]) || result[0] >= 0.99", []float64{math.NaN()}, true},
		{"len(result) > 0 && !isNaN(result[0]) && result[0] < 0.95", []float64{0.9}, true},
		{"asFloat(result) < 0.5", 0.2, true},
		{"asFloat(result) < 0.5", "0.7", false},
		{"asFloat(result[0]) >= 0.95", []float64{0.96}, true},
		{"asInt(result) < 30", "12", true},
		{"asInt(result) == 1", 1.0, true},
		{"asInt(result) > 30", 30.9, false},
		{"asInt(result.status) >= 200 && asInt(result.status) < 300", web, true},
		{"result.ok && result.successPercent >= 0.90", web, true},
		{"result.count > 0", web, true},
		{"result == 'true'", "true", true},
		{`result == "true"`, "false", false},
		{"default(result, 0) < 0.05", nil, true},
		{"default(result, 0) >= 0.90", 0.95, true},
		{"isNil(result) || result < 0.1", nil, true},
		{"isNil(result) || result < 0.1", 0.3, false},
		{"isNaN(result) || result >= 0.95", math.NaN(), true},
		{"!isInf(result) && result < 100", math.Inf(1), false},
		{"all(result, {# < 0.05})", []float64{0.01, 0.02}, true},
		{"any(result, {# > 0.05})", []any{0.01, 0.5}, true},
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
				t.Errorf("Eval(%s) = %v, want %v", Format(tt.result), got, tt.want)
			}
		})
	}
}

// TestAsIntAsFloatErrors: what Argo's functions refuse (with a panic) is an
// error here, saying what was given.
func TestAsIntAsFloatErrors(t *testing.T) {
	tests := []struct {
		cond   string
		result any
		want   string
	}{
		{"asInt(result) > 1", "3.5", `asInt("3.5"): not an integer`},
		{"asInt(result) > 1", []float64{3}, "index a list first"},
		{"asFloat(result) > 1", "fast", `asFloat("fast"): not a number`},
		{"asFloat(result) > 1", nil, "asFloat(null)"},
		{"asInt(result) > 1", true, "asInt(true): not a number or a string"},
	}
	for _, tt := range tests {
		t.Run(tt.cond+Format(tt.result), func(t *testing.T) {
			c, err := Compile(tt.cond)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Eval(tt.result)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Eval(%s) error = %v, want %q", Format(tt.result), err, tt.want)
			}
		})
	}
}

func TestAsIntAsFloat(t *testing.T) {
	ints := map[any]int64{"42": 42, " 7\n": 7, 3.9: 3, -2.5: -2, 5: 5, int64(6): 6}
	for in, want := range ints {
		if got, err := asInt(in); err != nil || got != want {
			t.Errorf("asInt(%#v) = %v, %v; want %d", in, got, err, want)
		}
	}
	floats := map[any]float64{"0.95": 0.95, "1e-3": 0.001, 2: 2, 0.5: 0.5, float32(0.25): 0.25}
	for in, want := range floats {
		if got, err := asFloat(in); err != nil || got != want {
			t.Errorf("asFloat(%#v) = %v, %v; want %g", in, got, err, want)
		}
	}
	if f, err := asFloat("NaN"); err != nil || !math.IsNaN(f) {
		t.Errorf(`asFloat("NaN") = %v, %v`, f, err)
	}
}
