package watch

import (
	"testing"
	"time"
)

func TestVerifyingText(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{d: 2999999940 * time.Nanosecond, want: "verifying for 3s"},
		{d: 10 * time.Second, want: "verifying for 10s"},
		{d: 90*time.Second + 400*time.Millisecond, want: "verifying for 1m30s"},
		{d: 1500 * time.Millisecond, want: "verifying for 1.5s"},
		{d: 1234567 * time.Microsecond / 10, want: "verifying for 123ms"},
		{d: 100 * 365 * 24 * time.Hour, want: "watching for failures until the step ends (a pause waits for `kubectl promote resume`)"},
	}
	for _, tt := range tests {
		if got := verifyingText(tt.d); got != tt.want {
			t.Errorf("verifyingText(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
