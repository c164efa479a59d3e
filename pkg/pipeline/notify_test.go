package pipeline

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
)

func TestNotifyResolve(t *testing.T) {
	p, err := Load("testdata/notify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	audit := NotifyWebhook{
		Name: "audit", Format: NotifyCloudEvents, Events: []string{"succeeded", "failed", "rolled-back", "undo-failed"},
		URLFrom:   NotifyValue{SecretRef: &NotifySecretRef{Namespace: "ops", Name: "audit-hook", Key: "url"}},
		TokenFrom: &NotifyValue{SecretRef: &NotifySecretRef{Name: "audit-hook", Key: "token"}},
	}
	tests := []struct {
		env  string
		want Notify
	}{
		{env: "dev", want: Notify{
			Webhooks:     []NotifyWebhook{audit},
			Retry:        NotifyRetry{Attempts: 3, Backoff: Duration(2 * time.Second), MaxBackoff: Duration(DefaultNotifyMaxBackoff)},
			Timeout:      Duration(DefaultNotifyTimeout),
			FlushTimeout: Duration(DefaultNotifyFlushTimeout),
		}},
		{env: "prod", want: Notify{
			Webhooks: []NotifyWebhook{
				{Name: "team", Format: NotifySlack, Events: []string{"failed", "rolled-back", "undo-failed", "waiting-approval"},
					URLFrom: NotifyValue{Env: "PROD_SLACK_URL"}},
				audit,
				{Name: "webhook 3", Format: NotifyCloudEvents, URLFrom: NotifyValue{Env: "PAGER_URL"}},
			},
			Retry:        NotifyRetry{Attempts: 3, Backoff: Duration(2 * time.Second), MaxBackoff: Duration(10 * time.Second)},
			Timeout:      Duration(3 * time.Second),
			FlushTimeout: Duration(DefaultNotifyFlushTimeout),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			env, err := p.Env(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Notify(env)); diff != "" {
				t.Errorf("Notify(%s) (-want +got):\n%s", tt.env, diff)
			}
		})
	}
}

func TestNotifyDefaultsWithoutNotify(t *testing.T) {
	p := &Pipeline{}
	got := p.Notify(&Environment{Name: "dev"})
	want := Notify{
		Retry:   NotifyRetry{Attempts: DefaultNotifyAttempts, Backoff: Duration(DefaultNotifyBackoff), MaxBackoff: Duration(DefaultNotifyMaxBackoff)},
		Timeout: Duration(DefaultNotifyTimeout), FlushTimeout: Duration(DefaultNotifyFlushTimeout),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Notify (-want +got):\n%s", diff)
	}
}

func TestValidateNotify(t *testing.T) {
	err := loadAndValidate("testdata/notify-invalid.yaml")
	var list ProblemList
	if !errors.As(err, &list) {
		t.Fatalf("want a problem list, got %v", err)
	}
	if len(list) != 13 {
		t.Errorf("got %d problems, want 13:\n%v", len(list), err)
	}
	testutil.Golden(t, "testdata/golden/notify-invalid.txt", err.Error()+"\n")
}
