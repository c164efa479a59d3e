package notify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

func TestTargets(t *testing.T) {
	secrets := map[string]map[string][]byte{
		"shop/hook": {"url": []byte("https://hooks.example/T0/" + token + "\n"), "token": []byte(token), "bad": []byte("ftp://" + token)},
		"ops/audit": {"url": []byte("http://audit.example/in")},
	}
	read := func(_ context.Context, ns, name string) (map[string][]byte, error) {
		if d, ok := secrets[ns+"/"+name]; ok {
			return d, nil
		}
		return nil, errors.New(`secrets "` + name + `" is forbidden: User "ci" cannot get resource "secrets"`)
	}
	env := map[string]string{"SLACK_URL": "https://hooks.slack.example/services/" + token}
	src := Sources{Secrets: read, Getenv: func(k string) string { return env[k] }, Namespace: "shop"}
	ref := func(ns, name, key string) pipeline.NotifyValue {
		return pipeline.NotifyValue{SecretRef: &pipeline.NotifySecretRef{Namespace: ns, Name: name, Key: key}}
	}
	tokenRef := ref("", "hook", "token")
	n := pipeline.Notify{Webhooks: []pipeline.NotifyWebhook{
		{Name: "slack", Format: pipeline.NotifySlack, URLFrom: pipeline.NotifyValue{Env: "SLACK_URL"}},
		{Name: "hook", Format: pipeline.NotifyCloudEvents, URLFrom: ref("", "hook", "url"), TokenFrom: &tokenRef, Events: []string{"failed"}},
		{Name: "audit", Format: pipeline.NotifyCloudEvents, URLFrom: ref("ops", "audit", "url")},
		{Name: "unset", Format: pipeline.NotifySlack, URLFrom: pipeline.NotifyValue{Env: "NOT_SET"}},
		{Name: "denied", Format: pipeline.NotifySlack, URLFrom: ref("prod", "hook", "url")},
		{Name: "no key", Format: pipeline.NotifySlack, URLFrom: ref("", "hook", "nope")},
		{Name: "not http", Format: pipeline.NotifySlack, URLFrom: ref("", "hook", "bad")},
	}}
	targets, errs := Targets(context.Background(), n, src)
	want := []Target{
		{name: "slack", format: pipeline.NotifySlack, url: env["SLACK_URL"]},
		{name: "hook", format: pipeline.NotifyCloudEvents, url: "https://hooks.example/T0/" + token, token: token, events: []Kind{Failed}},
		{name: "audit", format: pipeline.NotifyCloudEvents, url: "http://audit.example/in"},
	}
	if diff := cmp.Diff(want, targets, cmp.AllowUnexported(Target{})); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	wantErrs := []string{
		`notify webhook "unset": urlFrom: environment variable NOT_SET is not set`,
		`notify webhook "denied": urlFrom: Secret/prod/hook: secrets "hook" is forbidden: User "ci" cannot get resource "secrets"`,
		`notify webhook "no key": urlFrom: Secret/shop/hook has no key "nope"`,
		`notify webhook "not http": the URL read is not an http(s) URL`,
	}
	if diff := cmp.Diff(wantErrs, msgs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if leaks := testutil.Leaks(strings.Join(msgs, "\n"), token); len(leaks) > 0 {
		t.Errorf("errors leak %q", leaks)
	}
}

func TestOpenWarnsAndGoesOn(t *testing.T) {
	warn := &warnings{}
	n := pipeline.Notify{Webhooks: []pipeline.NotifyWebhook{{Name: "unset", Format: pipeline.NotifySlack, URLFrom: pipeline.NotifyValue{Env: "NOT_SET"}}}}
	s := Open(context.Background(), n, Sources{}, Options{Warn: warn.add})
	defer s.Flush(context.Background())
	if len(s.Targets()) != 0 {
		t.Errorf("targets = %v", s.Targets())
	}
	if got, want := warn.all(), `notify webhook "unset": urlFrom: environment variable NOT_SET is not set; it is left out`; got != want {
		t.Errorf("warning = %q, want %q", got, want)
	}
}
