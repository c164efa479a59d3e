package exitcode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"
)

// timeoutError is a net.Error that timed out, as a dial or a read returns.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ net.Error = timeoutError{}

func TestCode(t *testing.T) {
	deadline, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-deadline.Done()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("x"), Unclassified},
		{"bad input", With(BadInput, errors.New("x")), BadInput},
		{"wrapped", fmt.Errorf("ctx: %w", With(Blocked, errors.New("x"))), Blocked},
		{"outermost code wins", With(Cluster, With(BadInput, errors.New("x"))), Cluster},
		{"differences", With(Differences, errors.New("1 changed")), Differences},
		{"marked ok", With(OK, errors.New("x")), Unclassified},
		{"canceled", fmt.Errorf("diff: %w", context.Canceled), Unclassified},
		{"deadline", fmt.Errorf("diff: %w", deadline.Err()), Unclassified},
		{"net timeout", &url.Error{Op: "Get", URL: "https://127.0.0.1:1", Err: timeoutError{}}, Unclassified},
		{"differences that timed out", With(Differences, fmt.Errorf("x: %w", context.DeadlineExceeded)), Unclassified},
		{"differences cancelled", With(Differences, fmt.Errorf("x: %w", context.Canceled)), Unclassified},
		{"bad input that timed out stays bad input", With(BadInput, fmt.Errorf("x: %w", context.DeadlineExceeded)), BadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
	if With(Cluster, nil) != nil {
		t.Error("With(code, nil) must stay nil")
	}
}

func TestHas(t *testing.T) {
	if Has(errors.New("x")) || Has(nil) {
		t.Error("Has() = true for an error without a code")
	}
	if !Has(fmt.Errorf("w: %w", With(BadInput, errors.New("x")))) {
		t.Error("Has() = false for a wrapped code")
	}
}
