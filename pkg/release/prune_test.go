package release

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPruneVictims(t *testing.T) {
	type rec struct {
		rev    int
		status Status
	}
	tests := []struct {
		name string
		have []rec // newest first, as list returns them
		keep int
		want []int
	}{
		{"under the bound", []rec{{2, Succeeded}, {1, Succeeded}}, 3, nil},
		{"keep < 1 keeps all", []rec{{2, Failed}, {1, Failed}}, 0, nil},
		{"oldest go", []rec{{5, Succeeded}, {4, Succeeded}, {3, Failed}, {2, Succeeded}, {1, Succeeded}}, 3, []int{2, 1}},
		{"newest succeeded survives", []rec{{6, Failed}, {5, RolledBack}, {4, Failed}, {3, Succeeded}, {2, Superseded}, {1, Succeeded}}, 3, []int{2, 1}},
		{"keep 1 with failure on top", []rec{{3, RolledBack}, {2, Succeeded}, {1, Superseded}}, 1, []int{1}},
		{"no success at all", []rec{{4, Failed}, {3, Failed}, {2, UndoFailed}, {1, Failed}}, 2, []int{2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := make([]item, len(tt.have))
			for i, r := range tt.have {
				items[i] = item{revision: r.rev, status: r.status}
			}
			var got []int
			for _, v := range pruneVictims(items, tt.keep) {
				got = append(got, v.revision)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pruneVictims() (-want +got):\n%s", diff)
			}
		})
	}
}
