package render

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

func TestMergeValues(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.yaml", "image: {repository: web, tag: '1.0'}\nreplicas: 1\nhosts: [a, b]\n")
	b := write("b.yaml", "image: {tag: '2.0'}\nhosts: [c]\n")
	empty := write("empty.yaml", "# nothing yet\n")
	for _, tc := range []struct {
		name   string
		values helmValues
		want   map[string]interface{}
	}{{
		name:   "later file wins, maps merge, lists replace",
		values: helmValues{files: []string{a, b}},
		want: map[string]interface{}{
			"image":    map[string]interface{}{"repository": "web", "tag": "2.0"},
			"replicas": float64(1),
			"hosts":    []interface{}{"c"},
		},
	}, {
		name:   "set wins over files and is typed like --set",
		values: helmValues{files: []string{a, empty}, set: map[string]string{"replicas": "3", "image.tag": "3.0", "debug": "true"}},
		want: map[string]interface{}{
			"image":    map[string]interface{}{"repository": "web", "tag": "3.0"},
			"replicas": int64(3),
			"hosts":    []interface{}{"a", "b"},
			"debug":    true,
		},
	}, {
		name: "setString is text, setJSON is JSON, setFile is the file's text, in Helm's order",
		values: helmValues{
			set:       map[string]string{"a": "3", "b": "1", "list": "{x,y}"},
			setString: map[string]string{"b": "2", "s": "3"},
			setJSON:   map[string]string{"a": "1", "j": `{"k":[1,"two"]}`, "b": "0"},
			setFile:   map[string]string{"f": empty},
		},
		want: map[string]interface{}{
			"a":    int64(3),
			"b":    "2",
			"s":    "3",
			"list": []interface{}{"x", "y"},
			"j":    map[string]interface{}{"k": []interface{}{float64(1), "two"}},
			"f":    "# nothing yet\n",
		},
	}, {
		name: "nothing",
		want: map[string]interface{}{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.values.merge(bounds{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestYAMLError(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{"error converting YAML to JSON: yaml: line 4: found a tab character", `^f.yaml:4: found a tab character$`},
		// go-yaml's parser (not its scanner) reports lines 0-based.
		{"yaml: line 12: did not find expected key", `^f.yaml:13: did not find expected key$`},
		{"yaml: line 40: did not find expected key", `^f.yaml:30: did not find expected key$`},
		{"unexpected end of stream", `^f.yaml: unexpected end of stream$`},
	} {
		got := yamlError("f.yaml", []byte(strings.Repeat("a: 1\n", 30)), errString(tc.msg)).Error()
		if !regexp.MustCompile(tc.want).MatchString(got) {
			t.Errorf("yamlError(%q) = %q, want match %s", tc.msg, got, tc.want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// TestSetErrorsAtTheirLine checks that a set entry Helm cannot parse is
// reported at its line of promote.yaml, exit 2, before anything is read.
func TestSetErrorsAtTheirLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "chart"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "chart", "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 1.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "promote.yaml")
	content := `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: values}
spec:
  environments:
  - name: dev
    namespace: dev
    source:
      helm:
        chart: chart
        set:
          ok: "1"
        setString:
          list[x]: "2"
`
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	p := loadPipeline(t, file)
	_, err := For(p, &p.Spec.Environments[0])
	if err == nil {
		t.Fatal("For accepted a setString key Helm cannot parse")
	}
	want := regexp.MustCompile(`^.*promote\.yaml:14: environment "dev": setString list\[x\]: .*index`)
	if !want.MatchString(err.Error()) || exitcode.Code(err) != exitcode.BadInput {
		t.Errorf("got exit %d %q, want exit 2 matching %s", exitcode.Code(err), err, want)
	}
}
