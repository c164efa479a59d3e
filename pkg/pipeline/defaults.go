package pipeline

import "time"

// Built-in defaults, used when neither the environment nor spec.defaults
// sets a value.
const (
	DefaultTimeout            = 5 * time.Minute
	DefaultUndoTimeout        = 5 * time.Minute
	DefaultVerify             = 10 * time.Second
	DefaultRestartLimit       = 2
	DefaultUnschedulableGrace = 30 * time.Second
	DefaultHistory            = 10
	DefaultGuard              = time.Hour
)

// DefaultHealth returns the built-in health thresholds.
func DefaultHealth() Health {
	return Health{
		Timeout:            Duration(DefaultTimeout),
		UndoTimeout:        Duration(DefaultUndoTimeout),
		Verify:             Duration(DefaultVerify),
		RestartLimit:       DefaultRestartLimit,
		UnschedulableGrace: Duration(DefaultUnschedulableGrace),
		Guard:              ptrTo(Duration(DefaultGuard)),
	}
}

// Health resolves env's health thresholds field by field: the environment's
// own value, else spec.defaults, else the built-in default.
func (p *Pipeline) Health(env *Environment) Health {
	h := DefaultHealth()
	if p.Spec.Defaults != nil {
		h = h.overlay(p.Spec.Defaults.Health)
	}
	if env != nil {
		h = h.overlay(env.Health)
	}
	return h
}

// History resolves how many release records env keeps.
func (p *Pipeline) History(env *Environment) int {
	n := DefaultHistory
	if p.Spec.Defaults != nil && p.Spec.Defaults.History > 0 {
		n = p.Spec.Defaults.History
	}
	if env != nil && env.History > 0 {
		n = env.History
	}
	return n
}

// overlay returns h with every non-zero field of o applied on top.
func (h Health) overlay(o Health) Health {
	if o.Timeout > 0 {
		h.Timeout = o.Timeout
	}
	if o.UndoTimeout > 0 {
		h.UndoTimeout = o.UndoTimeout
	}
	if o.Verify > 0 {
		h.Verify = o.Verify
	}
	if o.RestartLimit > 0 {
		h.RestartLimit = o.RestartLimit
	}
	if o.UnschedulableGrace > 0 {
		h.UnschedulableGrace = o.UnschedulableGrace
	}
	if o.Guard != nil {
		h.Guard = o.Guard
	}
	return h
}

func ptrTo[T any](v T) *T { return &v }
