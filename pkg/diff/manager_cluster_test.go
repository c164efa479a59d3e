package diff

import (
	"fmt"
	"testing"
)

// An object missing from the owner-labelled lists is dry-run first and
// read only when the dry-run shows it exists: a new object costs one
// request, an existing object the tool does not own yet two.
func TestClusterDiffNewObjectsCostOneRequest(t *testing.T) {
	e := newClusterEnv(t)
	cm := `{apiVersion: v1, kind: ConfigMap, metadata: {name: %s, namespace: NS}, data: {k: v}}`
	e.applyRaw(t, "someone", e.objs(t, fmt.Sprintf(cm, "theirs"))[0])
	var rendered []string
	for i := range 6 {
		rendered = append(rendered, fmt.Sprintf(cm, fmt.Sprintf("new-%d", i)))
	}
	rendered = append(rendered, fmt.Sprintf(cm, "theirs"))
	e.requests.Store(0)
	e.lists.Store(0)

	cs := e.diff(t, e.objs(t, rendered...), e.options())

	if got, want := cs.Summary(), "6 to create, 1 to change, 0 to delete, 0 unchanged"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got, want := e.requests.Load()-e.lists.Load(), int64(6+2); got != want {
		t.Errorf("%d requests besides %d lists, want %d", got, e.lists.Load(), want)
	}
}
