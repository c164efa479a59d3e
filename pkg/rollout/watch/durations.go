package watch

import (
	"fmt"
	"time"
)

// openEnded is the Verify from which a window is taken to last until the
// caller ends the watch (a pause waiting for `resume`, an analysis): no
// rollout verifies for ten years.
const openEnded = 10 * 365 * 24 * time.Hour

// verifyingText says how long the watch goes on once everything is
// Current, in words a person reads in a progress line.
func verifyingText(d time.Duration) string {
	if d >= openEnded {
		return "watching for failures until the step ends (a pause waits for `kubectl promote resume`)"
	}
	return "verifying for " + roundDuration(d)
}

// roundDuration prints d to a precision people read: whole seconds from
// ten seconds on, tenths below, milliseconds under a second (so a window
// computed as time.Until(t) shows 3s, not 2.99999994s).
func roundDuration(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	}
	return fmt.Sprint(d.Round(time.Millisecond))
}
