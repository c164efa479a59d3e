package cli

import "testing"

func TestDefaultApprover(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"GitHub Actions", map[string]string{"GITHUB_ACTOR": "octocat", "USER": "runner"}, "octocat"},
		{"GitLab", map[string]string{"GITLAB_USER_LOGIN": "tanuki", "USER": "root"}, "tanuki"},
		{"a person", map[string]string{"USER": "alice"}, "alice"},
		{"nobody known", map[string]string{}, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultApprover(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("defaultApprover() = %q, want %q", got, tt.want)
			}
		})
	}
}
