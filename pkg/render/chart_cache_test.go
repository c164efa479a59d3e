package render

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestChartCache: archives are found by source and exact version (and
// digest when asked), a damaged archive is a miss, and a range picks the
// newest cached version inside it.
func TestChartCache(t *testing.T) {
	c := chartCache{dir: t.TempDir()}
	const src = "oci://registry.example.com/charts/web"
	for _, v := range []struct{ version, digest, data string }{
		{"1.0.0", "sha256:aaa", "one"}, {"1.2.0", "sha256:bbb", "one-two"}, {"2.0.0", "sha256:ccc", "two"},
	} {
		if _, err := c.store(src, v.version, v.digest, []byte(v.data)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.store(src, "../../x", "", []byte("x")); err == nil {
		t.Error("stored a version that is not a semantic version")
	}
	type hit struct {
		Version, Digest string
		OK              bool
	}
	for _, tc := range []struct {
		name string
		got  func() (pulled, bool)
		want hit
	}{
		{"exact", func() (pulled, bool) { return c.lookup(src, "1.2.0", "") }, hit{"1.2.0", "sha256:bbb", true}},
		{"exact with its digest", func() (pulled, bool) { return c.lookup(src, "1.2.0", "sha256:bbb") }, hit{"1.2.0", "sha256:bbb", true}},
		{"exact with another digest", func() (pulled, bool) { return c.lookup(src, "1.2.0", "sha256:ccc") }, hit{}},
		{"another source", func() (pulled, bool) { return c.lookup(src+"x", "1.2.0", "") }, hit{}},
		{"a range is never looked up exactly", func() (pulled, bool) { return c.lookup(src, "^1.0.0", "") }, hit{}},
		{"newest in range", func() (pulled, bool) { return c.best(src, "^1.0.0") }, hit{"1.2.0", "sha256:bbb", true}},
		{"newest of all", func() (pulled, bool) { return c.best(src, "") }, hit{"2.0.0", "sha256:ccc", true}},
		{"nothing in range", func() (pulled, bool) { return c.best(src, "^3") }, hit{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := tc.got()
			if diff := cmp.Diff(tc.want, hit{p.version, p.digest, ok}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	p, _ := c.lookup(src, "2.0.0", "")
	if err := os.WriteFile(p.path, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.lookup(src, "2.0.0", ""); ok {
		t.Error("a damaged archive was returned")
	}
	if p, _ := c.best(src, ""); p.version != "1.2.0" {
		t.Errorf("best after damage = %s, want 1.2.0", p.version)
	}
}
