package notify

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// Target is a resolved webhook. Its URL and token are unexported and its
// String is its name, so that printing a Target never prints them.
type Target struct {
	name   string
	format string
	events []Kind
	url    string
	token  string
}

// NewTarget is a webhook called name, receiving the events listed (all when
// none are) in format at rawURL with an optional bearer token. The URL must
// be http or https; the error never repeats it.
func NewTarget(name, format, rawURL, token string, events []string) (Target, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Target{}, fmt.Errorf("notify webhook %q: the URL read is not an http(s) URL", name)
	}
	t := Target{name: name, format: format, url: u.String(), token: strings.TrimSpace(token)}
	for _, e := range events {
		t.events = append(t.events, Kind(e))
	}
	return t, nil
}

// String is the target's name.
func (t Target) String() string { return t.name }

// GoString keeps %#v from printing the URL and token too.
func (t Target) GoString() string {
	return fmt.Sprintf("notify.Target{name: %q, format: %q}", t.name, t.format)
}

// wants tells whether the target takes events of kind k.
func (t Target) wants(k Kind) bool { return len(t.events) == 0 || slices.Contains(t.events, k) }

// secrets are the strings no message about t may contain.
func (t Target) secrets() []string {
	s := []string{t.url, t.token}
	if u, err := url.Parse(t.url); err == nil {
		s = append(s, u.RawQuery, u.Fragment)
		if p, ok := u.User.Password(); ok {
			s = append(s, p)
		}
		if u.Path != "/" {
			s = append(s, u.Path)
		}
	}
	return s
}

// SecretReader reads the data of a Secret.
type SecretReader func(ctx context.Context, namespace, name string) (map[string][]byte, error)

// ClusterSecrets reads Secrets with c: the user's own credentials.
func ClusterSecrets(c kubernetes.Interface) SecretReader {
	return func(ctx context.Context, namespace, name string) (map[string][]byte, error) {
		s, err := c.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return s.Data, nil
	}
}

// Sources are where urlFrom and tokenFrom are read.
type Sources struct {
	// Secrets reads secretRef (nil: a secretRef cannot be read).
	Secrets SecretReader
	// Getenv reads env (nil: os.Getenv is not consulted, nothing is set).
	Getenv func(string) string
	// Namespace is a secretRef's namespace when it names none: the
	// environment's.
	Namespace string
}

// Targets resolves the webhooks of n. A webhook that cannot be resolved
// is left out with an error naming it (never its URL): the caller warns
// and the release goes on without it.
func Targets(ctx context.Context, n pipeline.Notify, src Sources) ([]Target, []error) {
	var out []Target
	var errs []error
	for _, w := range n.Webhooks {
		t, err := src.target(ctx, w)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errs
}

func (src Sources) target(ctx context.Context, w pipeline.NotifyWebhook) (Target, error) {
	u, err := src.value(ctx, w.URLFrom)
	if err != nil {
		return Target{}, fmt.Errorf("notify webhook %q: urlFrom: %w", w.Name, err)
	}
	var token string
	if w.TokenFrom != nil {
		if token, err = src.value(ctx, *w.TokenFrom); err != nil {
			return Target{}, fmt.Errorf("notify webhook %q: tokenFrom: %w", w.Name, err)
		}
	}
	return NewTarget(w.Name, w.Format, u, token, w.Events)
}

func (src Sources) value(ctx context.Context, v pipeline.NotifyValue) (string, error) {
	if v.Env != "" {
		if src.Getenv == nil || src.Getenv(v.Env) == "" {
			return "", fmt.Errorf("environment variable %s is not set", v.Env)
		}
		return src.Getenv(v.Env), nil
	}
	r := v.SecretRef
	if r == nil {
		return "", fmt.Errorf("neither env nor secretRef is set")
	}
	ns := cmpOr(r.Namespace, src.Namespace)
	ref := "Secret/" + ns + "/" + r.Name
	if src.Secrets == nil {
		return "", fmt.Errorf("%s: no cluster to read it from", ref)
	}
	data, err := src.Secrets(ctx, ns, r.Name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	s, ok := data[r.Key]
	if !ok || len(s) == 0 {
		return "", fmt.Errorf("%s has no key %q", ref, r.Key)
	}
	return string(s), nil
}

// Open resolves n's webhooks and starts a Sender with n's retry and
// timeout. A webhook that cannot be resolved is a warning and is left out:
// notifications never stop a release.
func Open(ctx context.Context, n pipeline.Notify, src Sources, o Options) *Sender {
	rctx, cancel := context.WithTimeout(ctx, max(n.Timeout.D(), time.Second))
	defer cancel()
	targets, errs := Targets(rctx, n, src)
	o.Retry, o.Timeout = n.Retry, n.Timeout.D()
	o.defaults()
	for _, err := range errs {
		o.Warn(err.Error() + "; it is left out")
	}
	return NewSender(targets, o)
}
