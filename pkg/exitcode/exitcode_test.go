package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("x"), 1},
		{"bad input", With(BadInput, errors.New("x")), BadInput},
		{"wrapped", fmt.Errorf("ctx: %w", With(Blocked, errors.New("x"))), Blocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Errorf("Code() = %d, want %d", got, tt.want)
			}
		})
	}
	if With(Cluster, nil) != nil {
		t.Error("With(code, nil) must stay nil")
	}
}
