package release

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHolderString(t *testing.T) {
	tests := []struct {
		name string
		h    Holder
		want string
	}{
		{"empty", Holder{}, "unknown user"},
		{"laptop", Holder{User: "alice", Host: "laptop", PID: 4242, Command: "kubectl-promote prod"},
			`alice@laptop (pid 4242) running "kubectl-promote prod"`},
		{"ci", Holder{User: "runner", Host: "gh-1", PID: 7, CIJobURL: "https://github.com/o/r/actions/runs/9"},
			"runner@gh-1 (pid 7) in CI job https://github.com/o/r/actions/runs/9"},
	}
	for _, tt := range tests {
		if got := tt.h.String(); got != tt.want {
			t.Errorf("%s: String() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHolderFrom(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want Holder
	}{
		{"local", map[string]string{"USER": "alice"}, []string{"/usr/local/bin/kubectl-promote", "prod", "--yes"},
			Holder{User: "alice", Host: "h", PID: 1, Command: "kubectl-promote prod --yes"}},
		{"github actions", map[string]string{"USER": "runner", "GITHUB_SERVER_URL": "https://github.com",
			"GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42", "CI_JOB_URL": "ignored"}, nil,
			Holder{User: "runner", Host: "h", PID: 1, CIJobURL: "https://github.com/o/r/actions/runs/42"}},
		{"gitlab", map[string]string{"USER": "gl", "CI_JOB_URL": "https://gitlab.example/g/p/-/jobs/7"}, nil,
			Holder{User: "gl", Host: "h", PID: 1, CIJobURL: "https://gitlab.example/g/p/-/jobs/7"}},
		{"jenkins", map[string]string{"USER": "j", "BUILD_URL": "https://jenkins.example/job/x/3/"}, nil,
			Holder{User: "j", Host: "h", PID: 1, CIJobURL: "https://jenkins.example/job/x/3/"}},
		{"secrets redacted", map[string]string{"USER": "alice"},
			[]string{"kubectl-promote", "prod", "--token=abc", "--password", "hunter2", "--client-key", "k.pem", "--context", "prod"},
			Holder{User: "alice", Host: "h", PID: 1,
				Command: "kubectl-promote prod --token=REDACTED --password REDACTED --client-key REDACTED --context prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := holderFrom(func(k string) string { return tt.env[k] }, "h", 1, tt.args)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("holderFrom() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHolderFromLongCommand(t *testing.T) {
	h := holderFrom(func(string) string { return "u" }, "h", 1, []string{"kubectl-promote", strings.Repeat("x", 1000)})
	if len(h.Command) != maxCommand || !strings.HasSuffix(h.Command, "...") {
		t.Errorf("Command has %d bytes (%q…), want %d ending in ...", len(h.Command), h.Command[:20], maxCommand)
	}
}

func TestDefaultHolder(t *testing.T) {
	t.Setenv("USER", "tester")
	h := DefaultHolder()
	if h.User != "tester" || h.Host == "" || h.PID == 0 || h.Command == "" {
		t.Errorf("DefaultHolder() = %+v, want user, host, pid and command", h)
	}
}

func TestIdentity(t *testing.T) {
	id := identity{Holder: Holder{User: "alice", Host: "laptop", PID: 3}, Token: "abc"}
	want := `{"user":"alice","host":"laptop","pid":3,"token":"abc"}`
	if got := id.String(); got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	tests := []struct {
		in   string
		want identity
	}{
		{want, id},
		{"some-controller-7d9f", identity{Holder: Holder{User: "some-controller-7d9f"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parseIdentity(tt.in)); diff != "" {
			t.Errorf("parseIdentity(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
