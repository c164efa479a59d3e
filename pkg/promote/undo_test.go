package promote

import (
	"testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func TestPreviousSucceeded(t *testing.T) {
	rec := func(rev int, s release.Status) *release.Record { return &release.Record{Revision: rev, Status: s} }
	tests := []struct {
		name string
		recs []*release.Record // newest first
		want int               // 0: none
	}{
		{name: "no records"},
		{name: "only the current one", recs: []*release.Record{rec(1, release.Succeeded)}},
		{name: "the one before the current", recs: []*release.Record{rec(3, release.Succeeded), rec(2, release.Succeeded), rec(1, release.Succeeded)}, want: 2},
		{name: "failures skipped", recs: []*release.Record{rec(5, release.RolledBack), rec(4, release.Succeeded), rec(3, release.Failed), rec(2, release.UndoFailed), rec(1, release.Succeeded)}, want: 1},
		{name: "nothing successful before", recs: []*release.Record{rec(2, release.Succeeded), rec(1, release.RolledBack)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := previousSucceeded(tt.recs)
			switch {
			case tt.want == 0 && got != nil:
				t.Errorf("got revision %d, want none", got.Revision)
			case tt.want != 0 && (got == nil || got.Revision != tt.want):
				t.Errorf("got %v, want revision %d", got, tt.want)
			}
		})
	}
}

func TestUndoTargetNegativeRevision(t *testing.T) {
	if _, err := UndoTarget(t.Context(), nil, -1); err == nil {
		t.Error("a negative revision was accepted")
	}
}
