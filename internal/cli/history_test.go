package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func TestHistoryRows(t *testing.T) {
	started := time.Date(2030, 1, 2, 3, 4, 5, 0, time.Local)
	digest := "sha256:" + strings.Repeat("0123456789", 7)[:64]
	sums := []release.Summary{
		{Revision: 3, Status: release.RolledBack, Source: &release.Source{Environment: "staging", Revision: 9},
			Artifacts: []release.Artifact{
				{Type: release.ArtifactImage, Name: "registry.example/shop/web", Ref: "registry.example/shop/web:1.2@" + digest},
				{Type: release.ArtifactImage, Name: "registry.example/shop/api", Ref: "registry.example/shop/api:2.0"},
				{Type: release.ArtifactImage, Name: "redis", Ref: "redis:7"},
			},
			Strategy: "canary", User: "alice", Started: started, Duration: "1m30s",
			Failure: &release.Failure{Object: "Pod/shop/web-1", Reason: "CrashLoopBackOff"}},
		{Revision: 2, Status: release.Succeeded, Strategy: "rolling",
			Artifacts: []release.Artifact{{Type: release.ArtifactChart, Name: "shop", Ref: "1.4.0"}},
			Reason:    strings.Repeat("r", 80)},
		{Revision: 1, Status: release.Progressing,
			Artifacts: []release.Artifact{
				{Type: release.ArtifactImage, Name: "registry.example/shop/web", Ref: "registry.example/shop/web:1.2"},
				{Type: release.ArtifactImage, Name: "redis", Ref: "redis:7"},
				{Type: release.ArtifactChart, Name: "shop", Ref: "1.5.0@" + digest},
			}},
		{Revision: 0, Status: release.Succeeded, Strategy: "helm-import",
			Origin: &release.Origin{Helm: &release.HelmOrigin{Release: "shop", Namespace: "prod", Revision: 7, Chart: "shop-1.3.0"}}},
	}
	want := [][]string{
		{"3", "rolled-back", "staging#9", "web:1.2@sha256:012345678901,api:2.0,+1", "canary", "alice", "2030-01-02 03:04:05", "1m30s", "Pod/shop/web-1: CrashLoopBackOff"},
		{"2", "succeeded", "-", "shop@1.4.0", "rolling", "-", "-", "-", strings.Repeat("r", 59) + "…"},
		{"1", "progressing", "-", "shop@1.5.0@sha256:012345678901,web:1.2,+1", "-", "-", "-", "-", "-"},
		{"0", "succeeded", "helm:shop#7", "-", "helm-import", "-", "-", "-", "-"},
	}
	if diff := cmp.Diff(want, historyRows(sums)); diff != "" {
		t.Errorf("historyRows() (-want +got):\n%s", diff)
	}
}

func TestExpiresText(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		expires time.Time
		want    string
	}{
		{now.Add(25 * time.Second), "the lease expires in 25s unless renewed"},
		{now.Add(-3 * time.Minute), "the lease expired 3m0s ago (stale: the next promotion takes it over)"},
	}
	for _, tt := range tests {
		if got := expiresText(tt.expires, now); got != tt.want {
			t.Errorf("expiresText(%s) = %q, want %q", tt.expires, got, tt.want)
		}
	}
}

func TestHistoryAndUnlockArgs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{"history without env", []string{"history"}},
		{"history with two", []string{"history", "a", "b"}},
		{"unlock without env", []string{"unlock", "--force"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := run(t, dir, tt.args...); res.code != 2 {
				t.Errorf("exit code = %d, want 2; stderr:\n%s", res.code, res.stderr)
			}
		})
	}
}
