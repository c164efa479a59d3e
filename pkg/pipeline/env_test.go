package pipeline

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

func testPipeline(t *testing.T) *Pipeline {
	t.Helper()
	p, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnv(t *testing.T) {
	p := testPipeline(t)
	tests := []struct {
		name    string
		wantErr string
	}{
		{name: "staging"},
		{name: "qa", wantErr: `unknown environment "qa" in testdata/valid.yaml; known environments: dev, staging, prod`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := p.Env(tt.name)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || exitcode.Code(err) != exitcode.BadInput {
					t.Fatalf("Env() error = %v (code %d), want %q (code 2)", err, exitcode.Code(err), tt.wantErr)
				}
				return
			}
			if err != nil || env.Name != tt.name {
				t.Fatalf("Env() = %v, %v", env, err)
			}
			if env != &p.Spec.Environments[1] {
				t.Error("Env() must point into the pipeline, not at a copy")
			}
		})
	}
}

func TestUpstream(t *testing.T) {
	p := testPipeline(t)
	tests := []struct{ env, want string }{{"dev", ""}, {"staging", "dev"}, {"prod", "staging"}}
	for _, tt := range tests {
		env, _ := p.Env(tt.env)
		up, err := p.Upstream(env)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if up != nil {
			got = up.Name
		}
		if got != tt.want {
			t.Errorf("Upstream(%s) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestHealthAndHistory(t *testing.T) {
	d := func(x time.Duration) Duration { return Duration(x) }
	builtIn := DefaultHealth()
	tests := []struct {
		name        string
		defaults    *Defaults
		env         Environment
		want        Health
		wantHistory int
	}{
		{name: "built-in", want: builtIn, wantHistory: 10},
		{
			name:     "defaults override built-ins",
			defaults: &Defaults{Health: Health{Timeout: d(time.Minute), RestartLimit: 4}, History: 20},
			want: Health{Timeout: d(time.Minute), UndoTimeout: builtIn.UndoTimeout, Verify: builtIn.Verify,
				RestartLimit: 4, UnschedulableGrace: builtIn.UnschedulableGrace, Guard: builtIn.Guard},
			wantHistory: 20,
		},
		{
			name:     "environment overrides defaults",
			defaults: &Defaults{Health: Health{Timeout: d(time.Minute), Verify: d(time.Minute)}, History: 20},
			env:      Environment{Health: Health{Timeout: d(2 * time.Minute), UndoTimeout: d(time.Second), UnschedulableGrace: d(time.Hour)}, History: 3},
			want: Health{Timeout: d(2 * time.Minute), UndoTimeout: d(time.Second), Verify: d(time.Minute),
				RestartLimit: 2, UnschedulableGrace: d(time.Hour), Guard: builtIn.Guard},
			wantHistory: 3,
		},
		{
			name:        "guard 0 turns the guard off, unlike unset",
			defaults:    &Defaults{Health: Health{Guard: ptrTo(d(time.Minute))}},
			env:         Environment{Health: Health{Guard: ptrTo(d(0))}},
			want:        Health{Timeout: builtIn.Timeout, UndoTimeout: builtIn.UndoTimeout, Verify: builtIn.Verify, RestartLimit: 2, UnschedulableGrace: builtIn.UnschedulableGrace, Guard: ptrTo(d(0))},
			wantHistory: 10,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Pipeline{Spec: Spec{Defaults: tt.defaults, Environments: []Environment{tt.env}}}
			env := &p.Spec.Environments[0]
			if diff := cmp.Diff(tt.want, p.Health(env)); diff != "" {
				t.Errorf("Health() mismatch (-want +got):\n%s", diff)
			}
			if got := p.History(env); got != tt.wantHistory {
				t.Errorf("History() = %d, want %d", got, tt.wantHistory)
			}
		})
	}
}

func TestValidateContexts(t *testing.T) {
	p := testPipeline(t)
	tests := []struct {
		name     string
		contexts []string
		want     string
	}{
		{name: "all known", contexts: []string{"prod", "dev", "kind"}},
		{name: "prod missing", contexts: []string{"dev", "kind"},
			want: `testdata/valid.yaml:24: environment "prod": kube context "prod" is not in the kubeconfig; known contexts: dev, kind`},
		{name: "no kubeconfig", want: "testdata/valid.yaml: 2 problems\n" +
			`  testdata/valid.yaml:10: environment "dev": kube context "dev" is not in the kubeconfig; known contexts: none` + "\n" +
			`  testdata/valid.yaml:24: environment "prod": kube context "prod" is not in the kubeconfig; known contexts: none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.ValidateContexts(tt.contexts)
			got := ""
			if err != nil {
				got = err.Error()
				if exitcode.Code(err) != exitcode.BadInput {
					t.Errorf("exit code = %d, want 2", exitcode.Code(err))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ValidateContexts() mismatch (-want +got):\n%s", diff)
			}
		})
	}
	staging, _ := p.Env("staging")
	if err := p.ValidateContext(staging, nil); err != nil {
		t.Errorf("staging uses the current context and needs none: %v", err)
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"}, {30 * time.Second, "30s"}, {5 * time.Minute, "5m"}, {time.Hour, "1h"},
		{90 * time.Minute, "1h30m"}, {time.Hour + time.Second, "1h0m1s"}, {1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.in).String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}
