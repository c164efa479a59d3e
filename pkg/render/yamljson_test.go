package render

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/releaseutil"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// TestDecodeYAMLMatchesYAMLToJSON: decodeYAML gives what the slow, standard
// way (sigs.k8s.io/yaml.YAMLToJSON, then apimachinery's json.Unmarshal)
// gives, on every YAML document of the examples, the fixtures and the
// golden files, and on the corner cases of YAML 1.1 scalars and keys.
func TestDecodeYAMLMatchesYAMLToJSON(t *testing.T) {
	docs := map[string]string{
		"numbers":     "a: 2.0\nb: 1.5\nc: 1e21\nd: 1e19\ne: -0.0\nf: 9223372036854775807\ng: 18446744073709551615\nh: 0755\ni: 0x1F\nj: +12\nk: .5\nl: 1_000\nm: -9223372036854775808\nn: 1e-7\n",
		"infinity":    "a: .inf\n",
		"nan":         "a: .nan\n",
		"keys":        "1: a\ntrue: b\n1.5: c\n-2: d\nnull: e\n",
		"float key":   "1.5e3: a\n.inf: b\n-.inf: c\n",
		"booleans":    "a: yes\nb: no\nc: on\nd: off\ne: y\nf: True\ng: 'yes'\n",
		"timestamps":  "a: 2024-01-02\nb: 2001-12-14t21:59:43.10-05:00\nc: !!timestamp 2024-01-02\n",
		"nulls":       "a: null\nb: ~\nc:\nd: [~, null]\n",
		"binary":      "a: !!binary aGVsbG8=\n",
		"anchors":     "base: &b {x: 1, y: [1, 2]}\nother:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n",
		"strings":     "a: \"\\u00ff\\t\"\nb: |\n  multi\n  line\nc: >-\n  folded\n  text\nd: '123'\ne: \"0x10\"\n",
		"empty":       "",
		"comments":    "# only a comment\n",
		"scalar":      "just a string\n",
		"list":        "- 1\n- two\n",
		"nested keys": "a:\n  1: {2: [3]}\n",
		"duplicate":   "a: 1\na: 2\n",
		"bad":         "a: [unclosed\n",
	}
	for name, doc := range corpus(t) {
		docs[name] = doc
	}
	for name, doc := range docs {
		want, wantErr := slowDecode([]byte(doc))
		got, gotErr := decodeYAML([]byte(doc))
		if (wantErr != nil) != (gotErr != nil) {
			t.Errorf("%s: error %v, want %v", name, gotErr, wantErr)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-YAMLToJSON +decodeYAML):\n%s", name, diff)
		}
	}
}

func slowDecode(doc []byte) (interface{}, error) {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	var v interface{}
	err = utiljson.Unmarshal(j, &v)
	return v, err
}

// corpus is every YAML document (not a template) under the examples and
// testdata.
func corpus(t *testing.T) map[string]string {
	t.Helper()
	docs := map[string]string{}
	for _, root := range []string{"../../examples", "testdata"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil || strings.Contains(string(b), "{{") {
				return err
			}
			for i, doc := range docSeparator.Split(string(b), -1) {
				docs[fmt.Sprintf("%s#%d", path, i)] = doc
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(docs) < 150 {
		t.Fatalf("only %d documents found", len(docs))
	}
	return docs
}

// TestSplitDocsMatchesHelm: splitDocs yields the objects that Helm's
// releaseutil.SplitManifests yields, on every YAML file of the examples,
// testdata and golden files, and on corner cases of markers.
func TestSplitDocsMatchesHelm(t *testing.T) {
	files := map[string]string{
		"leading marker":      "---\na: 1\n---\nb: 2\n",
		"indented first":      "  ---\na: 1\n",
		"empty docs":          "a: 1\n---\n---\n---\nb: 2\n---\n",
		"marker with comment": "a: 1\n--- # next\nb: 2\n",
		"marker with spaces":  "a: 1\n   \n---   \nb: 2\n",
		"four dashes":         "a: 1\n----\n",
		"dashes in a value":   "a: |\n  ---\n  text\nb: x---y\n",
		"windows newlines":    "a: 1\r\n---\r\nb: 2\r\n",
	}
	for _, root := range []string{"../../examples", "testdata"} {
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".yaml") {
				b, _ := os.ReadFile(path)
				files[path] = string(b)
			}
			return nil
		})
	}
	for name, content := range files {
		want := decodeAll(t, helmSplit(content))
		got := decodeAll(t, splitDocs(content))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-SplitManifests +splitDocs):\n%s", name, diff)
		}
	}
}

func helmSplit(content string) []string {
	m := releaseutil.SplitManifests(content)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	docs := make([]string, len(keys))
	for i, k := range keys {
		docs[i] = m[k]
	}
	return docs
}

// decodeAll decodes docs as YAML values, skipping empty ones; a document
// that does not parse is kept as its error text.
func decodeAll(t *testing.T, docs []string) []interface{} {
	t.Helper()
	var out []interface{}
	for _, d := range docs {
		if strings.Contains(d, "{{") {
			return nil // a template, not YAML
		}
		v, err := decodeYAML([]byte(d))
		switch {
		case err != nil:
			out = append(out, "error: "+err.Error())
		case v != nil:
			out = append(out, v)
		}
	}
	return out
}
