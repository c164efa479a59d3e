package diff

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// sampleChangeSet is a fixed change set with one object per action and a
// configured Secret, built through the same code Diff uses.
func sampleChangeSet(t *testing.T) *ChangeSet {
	t.Helper()
	d := &differ{opts: DefaultOptions()}
	mk := func(live, desired string) Change {
		l, de := obj(t, live), obj(t, desired)
		if de == nil {
			return d.deletedChange(l)
		}
		return d.change(&target{ref: kube.RefOf(de)}, l, de)
	}
	deploy := func(replicas, image string) string {
		return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}, resourceVersion: "7", uid: u1}
spec:
  replicas: ` + replicas + `
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ` + image + `
        ports: [{containerPort: 8080}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}, {name: C, value: "3"}]
status: {replicas: 2}`
	}
	cs := &ChangeSet{Changes: []Change{
		mk(deploy("2", "web:1.0"), deploy("3", "web:1.1")),
		mk("", `{apiVersion: v1, kind: ConfigMap, metadata: {name: new, namespace: shop}, data: {k: v}}`),
		mk(`{apiVersion: v1, kind: Service, metadata: {name: old, namespace: shop}, spec: {ports: [{port: 80}]}}`, ""),
		mk(`{apiVersion: v1, kind: ConfigMap, metadata: {name: same, namespace: shop}, data: {k: v}}`,
			`{apiVersion: v1, kind: ConfigMap, metadata: {name: same, namespace: shop}, data: {k: v}}`),
		mk(`{apiVersion: v1, kind: Secret, metadata: {name: creds, namespace: shop}, data: {user: YWRtaW4=, pw: b2xkcGFzcw==, gone: eA==}}`,
			`{apiVersion: v1, kind: Secret, metadata: {name: creds, namespace: shop}, data: {user: YWRtaW4=, pw: bmV3cGFzcw==, added: eQ==}}`),
	}}
	cs.sort()
	return cs
}

func TestWriteTextGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts TextOptions
	}{
		{"text-U3.golden", TextOptions{Context: 3}},
		{"text-U0.golden", TextOptions{Context: 0}},
		{"text-color.golden", TextOptions{Context: 1, Color: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteText(&buf, sampleChangeSet(t), tt.opts); err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join("testdata", "golden", tt.name), buf.String())
		})
	}
}

func TestWriteJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleChangeSet(t)); err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/golden/changes.json", buf.String())
}

func TestSummary(t *testing.T) {
	cs := sampleChangeSet(t)
	if got, want := cs.Summary(), "1 to create, 2 to change, 1 to delete, 1 unchanged"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if !cs.HasDifferences() || !cs.Has(Unchanged) {
		t.Errorf("HasDifferences() = %v, Has(Unchanged) = %v, want both true", cs.HasDifferences(), cs.Has(Unchanged))
	}
	if (&ChangeSet{}).HasDifferences() {
		t.Error("empty change set has differences")
	}
}

func TestHunks(t *testing.T) {
	old := strings.Join([]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, "\n") + "\n"
	tests := []struct {
		name, new string
		context   int
		want      []string
	}{
		{
			name: "two changes far apart make two hunks", context: 1,
			new:  strings.Replace(strings.Replace(old, "b\n", "B\n", 1), "i\n", "I\n", 1),
			want: []string{"@@ -1,3 +1,3 @@", " a", "-b", "+B", " c", "@@ -8,3 +8,3 @@", " h", "-i", "+I", " j"},
		},
		{
			name: "changes within twice the context share a hunk", context: 2,
			new:  strings.Replace(strings.Replace(old, "b\n", "B\n", 1), "f\n", "F\n", 1),
			want: []string{"@@ -1,8 +1,8 @@", " a", "-b", "+B", " c", " d", " e", "-f", "+F", " g", " h"},
		},
		{
			name: "a new text is one hunk from line zero", context: 3,
			want: []string{"@@ -1,10 +0,0 @@", "-a", "-b", "-c", "-d", "-e", "-f", "-g", "-h", "-i", "-j"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, h := range hunks(diffLines(old, tt.new), tt.context) {
				got = append(got, h.header())
				for _, l := range h.lines {
					got = append(got, string(l.op)+l.text)
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("hunks (-want +got):\n%s", d)
			}
		})
	}
}

// TestMalformedSecretsNotPrinted: a Secret whose data or stringData is not
// a map, created, configured or deleted, shows in neither the text nor the
// JSON diff with its value.
func TestMalformedSecretsNotPrinted(t *testing.T) {
	const canary = "malformed-canary-3e9b"
	d := &differ{opts: DefaultOptions()}
	created := obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: a, namespace: shop}, data: malformed-canary-3e9b}`)
	live := obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: b, namespace: shop}, data: {k: eA==}}`)
	desired := obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: b, namespace: shop}, stringData: [malformed-canary-3e9b]}`)
	gone := obj(t, `{apiVersion: v1, kind: Secret, metadata: {name: c, namespace: shop}, data: [malformed-canary-3e9b]}`)
	cs := &ChangeSet{Changes: []Change{
		d.change(&target{ref: kube.RefOf(created)}, nil, created),
		d.change(&target{ref: kube.RefOf(desired)}, live, desired),
		d.deletedChange(gone),
	}}
	var text, js bytes.Buffer
	if err := WriteText(&text, cs, TextOptions{Context: DefaultContext}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, cs); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "json": js.String()} {
		if strings.Contains(out, canary) {
			t.Errorf("%s diff shows the value:\n%s", name, out)
		}
		if !strings.Contains(out, MaskAdded) || !strings.Contains(out, MaskRemoved) {
			t.Errorf("%s diff lacks the markers:\n%s", name, out)
		}
	}
}
