package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFieldChanges(t *testing.T) {
	tests := []struct {
		name, live, desired string
		want                []FieldChange
	}{
		{
			name:    "leaves changed, added and removed; odd keys quoted",
			live:    `{spec: {replicas: 2, paused: true}, metadata: {labels: {app.kubernetes.io/name: web}}}`,
			desired: `{spec: {replicas: 3, strategy: {type: Recreate}}, metadata: {labels: {app.kubernetes.io/name: shop}}}`,
			want: []FieldChange{
				{Path: `.metadata.labels["app.kubernetes.io/name"]`, Old: "web", New: "shop"},
				{Path: ".spec.paused", Old: true},
				{Path: ".spec.replicas", Old: int64(2), New: int64(3)},
				{Path: ".spec.strategy", New: map[string]any{"type": "Recreate"}},
			},
		},
		{
			name:    "lists of named items match by name",
			live:    `{containers: [{name: web, image: web:1}, {name: side, image: side:1}]}`,
			desired: `{containers: [{name: side, image: side:1}, {name: web, image: web:2}, {name: new, image: new:1}]}`,
			want: []FieldChange{
				{Path: ".containers[name=web].image", Old: "web:1", New: "web:2"},
				{Path: ".containers[name=new]", New: map[string]any{"name": "new", "image": "new:1"}},
			},
		},
		{
			name:    "other lists match by index",
			live:    `{args: [a, b]}`,
			desired: `{args: [a, c, d]}`,
			want: []FieldChange{
				{Path: ".args[1]", Old: "b", New: "c"},
				{Path: ".args[2]", New: "d"},
			},
		},
		{
			name:    "equal objects have no changes",
			live:    `{a: {b: [1, 2]}}`,
			desired: `{a: {b: [1, 2]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FieldChanges(obj(t, tt.live), obj(t, tt.desired))
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("FieldChanges() (-want +got):\n%s", d)
			}
		})
	}
}
