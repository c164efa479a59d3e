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

// Objects already prepared (as a deploy prepares them once) diff the same
// without being prepared again, and Diff leaves them as they were.
func TestClusterDiffPrepared(t *testing.T) {
	e := newClusterEnv(t)
	raw := e.objs(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: cm}, data: {k: v}}`,
		`{apiVersion: v1, kind: Secret, metadata: {name: s, namespace: NS}, stringData: {k: value-1}}`)
	prepared, err := Prepare(raw, testOwner)
	if err != nil {
		t.Fatal(err)
	}
	opts := e.options()
	opts.Prepared = true

	got := e.diff(t, prepared, opts)

	want := e.diff(t, raw, e.options())
	if got.Summary() != want.Summary() || len(got.Changes) != 2 || got.Changes[0].Ref != want.Changes[0].Ref {
		t.Errorf("prepared: %s %v, want %s %v", got.Summary(), got.Changes[0].Ref, want.Summary(), want.Changes[0].Ref)
	}
	if ns := prepared[0].GetNamespace(); ns != "" {
		t.Errorf("Diff set the namespace of the caller's object to %q", ns)
	}
}
