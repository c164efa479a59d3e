package watch

import (
	"time"

	"k8s.io/utils/clock"
)

// Defaults of Options; promote.yaml's health section (README) overrides them.
const (
	DefaultRestartLimit       = 2
	DefaultUnschedulableGrace = 30 * time.Second
	DefaultTimeout            = 5 * time.Minute
	DefaultVerify             = 10 * time.Second
)

// Options are the thresholds of a watch. Zero values take the defaults.
type Options struct {
	// RestartLimit fails the rollout when a container of a new pod has
	// restarted more often than this since the watch first saw the pod
	// (default 2; negative turns the rule off).
	RestartLimit int
	// UnschedulableGrace is how long a new pod may stay unschedulable
	// (default 30s; negative turns the rule off).
	UnschedulableGrace time.Duration
	// Timeout is the budget for every object to become Current
	// (default 5m).
	Timeout time.Duration
	// Verify is how long the watch goes on once everything is Current; a
	// failure inside it still fails (default 10s; negative: no window).
	Verify time.Duration
	// Clock tells the time (default the real clock); tests inject a fake.
	Clock clock.PassiveClock
}

// DefaultOptions returns the options with every default filled in.
func DefaultOptions() Options { return Options{}.withDefaults() }

func (o Options) withDefaults() Options {
	if o.RestartLimit == 0 {
		o.RestartLimit = DefaultRestartLimit
	}
	if o.UnschedulableGrace == 0 {
		o.UnschedulableGrace = DefaultUnschedulableGrace
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Verify == 0 {
		o.Verify = DefaultVerify
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}
