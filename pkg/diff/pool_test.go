package diff

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestPoolStopsAfterAnError(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		until     bool
		wantCalls int64
	}{
		{"forEach goes on after an error", false, 20},
		{"forEachUntilError starts nothing more", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			fn := func(_ context.Context, i int) error {
				calls.Add(1)
				if i == 0 {
					return boom
				}
				return nil
			}
			run := forEach
			if tt.until {
				run = forEachUntilError
			}
			// One worker, so that the order of the calls is known.
			err := run(t.Context(), 1, 20, fn)
			if !errors.Is(err, boom) {
				t.Errorf("error = %v, want boom", err)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
		})
	}
}
