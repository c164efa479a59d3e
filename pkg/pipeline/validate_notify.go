package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// envVarName is what a shell accepts as a variable name.
var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (v *validator) notify(path, label string, n *Notify) {
	if n == nil {
		return
	}
	names := map[string]bool{}
	for i, w := range n.Webhooks {
		wp := fmt.Sprintf("%s.webhooks[%d]", path, i)
		wl := fmt.Sprintf("%s: notify webhook %d", label, i+1)
		if w.Name != "" {
			wl = fmt.Sprintf("%s: notify webhook %q", label, w.Name)
			if names[w.Name] {
				v.field(wp+".name", "%s is listed twice", wl)
			}
			names[w.Name] = true
		}
		v.webhook(wp, wl, w)
	}
	v.notifyRetry(path, label, n)
}

func (v *validator) webhook(path, label string, w NotifyWebhook) {
	if w.Disabled {
		return // only drops the target of the same name
	}
	switch w.Format {
	case NotifySlack, NotifyCloudEvents:
	case "":
		v.field(path, "%s: format is required: %s or %s", label, NotifySlack, NotifyCloudEvents)
	default:
		v.field(path+".format", "%s: format %q is not supported; use %s or %s", label, w.Format, NotifySlack, NotifyCloudEvents)
	}
	for j, e := range w.Events {
		if !slices.Contains(NotifyEvents, e) {
			v.field(fmt.Sprintf("%s.events[%d]", path, j), "%s: unknown event %q; known events: %s", label, e, strings.Join(NotifyEvents, ", "))
		}
	}
	v.notifyValue(path+".urlFrom", label+": urlFrom", &w.URLFrom, true)
	v.notifyValue(path+".tokenFrom", label+": tokenFrom", w.TokenFrom, false)
}

// notifyValue checks a value read at run time; the value itself is never
// in the file, so there is nothing else to check here.
func (v *validator) notifyValue(path, label string, nv *NotifyValue, required bool) {
	switch {
	case nv == nil || (nv.Env == "" && nv.SecretRef == nil):
		if required {
			v.field(path, "%s is required: set env: VARIABLE or secretRef: {name: …, key: …} (the URL is a credential: it is never written in promote.yaml)", label)
		}
		return
	case nv.Env != "" && nv.SecretRef != nil:
		v.field(path, "%s sets both env and secretRef; keep one", label)
	case nv.Env != "" && !envVarName.MatchString(nv.Env):
		v.field(path+".env", "%s: env %q is not a variable name (letters, digits and '_')", label, nv.Env)
	}
	if r := nv.SecretRef; r != nil {
		v.notifySecretRef(path+".secretRef", label, r)
	}
}

func (v *validator) notifySecretRef(path, label string, r *NotifySecretRef) {
	if r.Name == "" || r.Key == "" {
		v.field(path, "%s: secretRef needs name and key", label)
	}
	if r.Name != "" && len(validation.IsDNS1123Subdomain(r.Name)) > 0 {
		v.field(path+".name", "%s: secretRef.name %q is not a valid Secret name", label, r.Name)
	}
	if r.Key != "" && len(validation.IsConfigMapKey(r.Key)) > 0 {
		v.field(path+".key", "%s: secretRef.key %q is not a valid key", label, r.Key)
	}
	if r.Namespace != "" && len(validation.IsDNS1123Label(r.Namespace)) > 0 {
		v.field(path+".namespace", "%s: secretRef.namespace %q is not a valid namespace name", label, r.Namespace)
	}
}

func (v *validator) notifyRetry(path, label string, n *Notify) {
	r := n.Retry
	if r.Attempts < 0 {
		v.field(path+".retry.attempts", "%s: notify.retry.attempts must not be negative", label)
	}
	for _, d := range []struct {
		field string
		value Duration
	}{
		{"retry.backoff", r.Backoff}, {"retry.maxBackoff", r.MaxBackoff}, {"timeout", n.Timeout}, {"flushTimeout", n.FlushTimeout},
	} {
		if d.value < 0 {
			v.field(path+"."+d.field, "%s: notify.%s must not be negative", label, d.field)
		}
	}
	if r.Backoff > 0 && r.MaxBackoff > 0 && r.MaxBackoff < r.Backoff {
		v.field(path+".retry.maxBackoff", "%s: notify.retry.maxBackoff %s is below backoff %s", label, r.MaxBackoff, r.Backoff)
	}
}
