package pipeline

import (
	"fmt"
	"time"
)

// Notify sends webhooks about releases (issue 14): spec.notify for every
// environment, an environment's notify on top of it (see Pipeline.Notify).
type Notify struct {
	Webhooks []NotifyWebhook `json:"webhooks,omitempty"`
	// Retry is how a failed delivery is tried again.
	Retry NotifyRetry `json:"retry,omitempty"`
	// Timeout bounds one delivery attempt (default 10s).
	Timeout Duration `json:"timeout,omitempty"`
	// FlushTimeout bounds how long the CLI waits, when it exits, for
	// notifications still being delivered (default 15s).
	FlushTimeout Duration `json:"flushTimeout,omitempty"`
}

// NotifyWebhook is one target. Its URL (and token) never appear in the
// file: they are read from a Secret or an environment variable, because a
// webhook URL is a credential.
type NotifyWebhook struct {
	// Name identifies the target in messages and lets an environment
	// override a target of spec.notify; default "webhook N".
	Name string `json:"name,omitempty"`
	// Format is NotifySlack or NotifyCloudEvents.
	Format string `json:"format"`
	// Events lists the events sent (NotifyEvents); empty means all.
	Events []string `json:"events,omitempty"`
	// URLFrom says where the URL is read from.
	URLFrom NotifyValue `json:"urlFrom"`
	// TokenFrom, when set, is sent as `Authorization: Bearer TOKEN`.
	TokenFrom *NotifyValue `json:"tokenFrom,omitempty"`
	// Disabled drops a target of spec.notify in one environment.
	Disabled bool `json:"disabled,omitempty"`
}

// NotifyValue is a value read at run time: exactly one of the fields.
type NotifyValue struct {
	// Env names an environment variable of the process sending.
	Env string `json:"env,omitempty"`
	// SecretRef names a Secret key, read with the user's credentials in
	// the environment's cluster.
	SecretRef *NotifySecretRef `json:"secretRef,omitempty"`
}

// NotifySecretRef is a key of a Secret.
type NotifySecretRef struct {
	// Namespace defaults to the environment's namespace.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Key       string `json:"key"`
}

// NotifyRetry is the exponential back-off between delivery attempts.
type NotifyRetry struct {
	// Attempts is how many times a delivery is tried in all (default 5).
	Attempts int `json:"attempts,omitempty"`
	// Backoff is the first wait, doubled after each attempt (default 1s).
	Backoff Duration `json:"backoff,omitempty"`
	// MaxBackoff caps the wait (default 30s).
	MaxBackoff Duration `json:"maxBackoff,omitempty"`
}

// The webhook formats.
const (
	NotifySlack       = "slack"
	NotifyCloudEvents = "cloudevents"
)

// NotifyEvents are the events a webhook can be sent, in the order a
// release meets them.
var NotifyEvents = []string{
	"started", "paused", "waiting-approval", "gate-blocked",
	"succeeded", "failed", "rolled-back", "undo-failed",
}

// Notification defaults.
const (
	DefaultNotifyAttempts     = 5
	DefaultNotifyBackoff      = time.Second
	DefaultNotifyMaxBackoff   = 30 * time.Second
	DefaultNotifyTimeout      = 10 * time.Second
	DefaultNotifyFlushTimeout = 15 * time.Second
)

// Notify resolves env's notifications: the webhooks of spec.notify, each
// replaced by the environment's webhook of the same name (or dropped when
// that one is disabled), then the environment's other webhooks; retry and
// timeouts field by field, environment first, then spec, then defaults.
// Unnamed webhooks are named "webhook N" after their place in the result.
func (p *Pipeline) Notify(env *Environment) Notify {
	var spec, own Notify
	if p.Spec.Notify != nil {
		spec = *p.Spec.Notify
	}
	if env != nil && env.Notify != nil {
		own = *env.Notify
	}
	n := Notify{
		Webhooks:     mergeWebhooks(spec.Webhooks, own.Webhooks),
		Retry:        defaultRetry().overlay(spec.Retry).overlay(own.Retry),
		Timeout:      firstDuration(own.Timeout, spec.Timeout, Duration(DefaultNotifyTimeout)),
		FlushTimeout: firstDuration(own.FlushTimeout, spec.FlushTimeout, Duration(DefaultNotifyFlushTimeout)),
	}
	for i := range n.Webhooks {
		if n.Webhooks[i].Name == "" {
			n.Webhooks[i].Name = fmt.Sprintf("webhook %d", i+1)
		}
	}
	return n
}

func mergeWebhooks(spec, own []NotifyWebhook) []NotifyWebhook {
	var out []NotifyWebhook
	used := map[int]bool{}
	for _, w := range spec {
		for j, o := range own {
			if o.Name != "" && o.Name == w.Name {
				w, used[j] = o, true
			}
		}
		out = append(out, w)
	}
	for j, o := range own {
		if !used[j] {
			out = append(out, o)
		}
	}
	kept := out[:0]
	for _, w := range out {
		if !w.Disabled {
			kept = append(kept, w)
		}
	}
	return kept
}

func defaultRetry() NotifyRetry {
	return NotifyRetry{Attempts: DefaultNotifyAttempts, Backoff: Duration(DefaultNotifyBackoff), MaxBackoff: Duration(DefaultNotifyMaxBackoff)}
}

// overlay returns r with every non-zero field of o applied on top.
func (r NotifyRetry) overlay(o NotifyRetry) NotifyRetry {
	if o.Attempts > 0 {
		r.Attempts = o.Attempts
	}
	if o.Backoff > 0 {
		r.Backoff = o.Backoff
	}
	if o.MaxBackoff > 0 {
		r.MaxBackoff = o.MaxBackoff
	}
	return r
}

func firstDuration(ds ...Duration) Duration {
	for _, d := range ds {
		if d > 0 {
			return d
		}
	}
	return 0
}
