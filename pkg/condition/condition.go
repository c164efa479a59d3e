package condition

import (
	"fmt"
	"math"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Condition is a compiled expression over `result`.
type Condition struct {
	src  string
	prog *vm.Program
}

// env is what an expression sees: the result and Argo's helper functions.
type env struct {
	Result any `expr:"result"`
}

// options are the compiler options: the environment and Argo Rollouts'
// functions (asInt, asFloat, isNaN, isInf, isNil, default), so an
// AnalysisTemplate's conditions compile unchanged.
func options() []expr.Option {
	return []expr.Option{
		expr.Env(env{}),
		expr.AsBool(),
		expr.Function("asInt", func(p ...any) (any, error) { return asInt(p[0]) }, new(func(any) int64)),
		expr.Function("asFloat", func(p ...any) (any, error) { return asFloat(p[0]) }, new(func(any) float64)),
		expr.Function("isNaN", func(p ...any) (any, error) {
			f, ok := p[0].(float64)
			return ok && math.IsNaN(f), nil
		}, new(func(any) bool)),
		expr.Function("isInf", func(p ...any) (any, error) {
			f, ok := p[0].(float64)
			return ok && math.IsInf(f, 0), nil
		}, new(func(any) bool)),
		expr.Function("isNil", func(p ...any) (any, error) { return isNil(p[0]), nil }, new(func(any) bool)),
		expr.Function("default", func(p ...any) (any, error) {
			if isNil(p[0]) {
				return p[1], nil
			}
			if f, ok := p[0].(float64); ok && math.IsNaN(f) {
				return p[1], nil
			}
			return p[0], nil
		}, new(func(any, any) any)),
	}
}

// isNil is true for nil and for a nil map or slice (Argo's isNil).
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch r := reflect.ValueOf(v); r.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer:
		return r.IsNil()
	}
	return false
}

// Compile parses src, such as `result < 0.05` or `result[0] >= 0.95`.
func Compile(src string) (*Condition, error) {
	prog, err := expr.Compile(src, options()...)
	if err != nil {
		return nil, fmt.Errorf("condition %q: %w", src, err)
	}
	return &Condition{src: src, prog: prog}, nil
}

// String returns the source of the condition.
func (c *Condition) String() string { return c.src }

// Eval says whether the condition holds for result.
func (c *Condition) Eval(result any) (bool, error) {
	out, err := expr.Run(c.prog, env{Result: result})
	if err != nil {
		return false, fmt.Errorf("condition %q on result %s: %w", c.src, Format(result), err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition %q gave %v, not true or false", c.src, out)
	}
	return b, nil
}
