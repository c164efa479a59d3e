package promote

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func images(refs ...string) []release.Artifact {
	out := make([]release.Artifact, len(refs))
	for i, r := range refs {
		out[i] = release.Artifact{Type: release.ArtifactImage, Ref: r}
	}
	return out
}

// copyTo copies testdata/write/name into dir as as.
func copyTo(t *testing.T, dir, name, as string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "write", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, as)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, as), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWriteKustomize: only the image references change; comments, quoting,
// indentation and blank lines stay.
func TestWriteKustomize(t *testing.T) {
	dir := t.TempDir()
	copyTo(t, dir, "kustomization.yaml", "kustomization.yaml")
	files, err := writeKustomize(dir, images(
		"registry.example.com/shop/web:1.1.0@sha256:bbbb", // tag kept quoted, digest added
		"registry.example.com/shop/worker@sha256:cccc",    // digest only: newTag removed
		"registry.example.com/shop/cache:7",               // new entry
	))
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/write/kustomization.golden.yaml", string(files[filepath.Join(dir, "kustomization.yaml")]))
}

// TestWriteKustomizeAddsImages: a kustomization without images: gets the
// list at its end.
func TestWriteKustomizeAddsImages(t *testing.T) {
	dir := t.TempDir()
	src := "# no images yet\nresources:\n- deploy.yaml # the app\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := writeKustomize(dir, images("reg.example.com:5000/web:2.0@sha256:dddd"))
	if err != nil {
		t.Fatal(err)
	}
	want := src + "images:\n- name: reg.example.com:5000/web\n  newTag: \"2.0\"\n  digest: sha256:dddd\n"
	if diff := cmp.Diff(want, string(string(files[filepath.Join(dir, "kustomization.yaml")]))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestWriteHelm: image paths are detected (repository+tag, a whole string,
// registry+repository with a digest key) and only their scalars change.
func TestWriteHelm(t *testing.T) {
	dir := t.TempDir()
	copyTo(t, dir, "values.yaml", "values-prod.yaml")
	p := &pipeline.Pipeline{Path: filepath.Join(dir, "promote.yaml")}
	h := &pipeline.HelmSource{Chart: "chart", Values: []string{"values-prod.yaml"}}
	files, err := writeHelm(p, h, images(
		"registry.example.com/shop/web:1.1.0@sha256:bbbb",
		"registry.example.com/shop/worker:2.1.0",
		"registry.example.com/shop/cache:8@sha256:eeee",
	))
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/write/values.golden.yaml", string(files[filepath.Join(dir, "values-prod.yaml")]))
}

// TestWriteHelmDeclaredPath: helm.imagePaths says where an image is set,
// and missing keys are added under the deepest mapping that exists.
func TestWriteHelmDeclaredPath(t *testing.T) {
	dir := t.TempDir()
	src := "# prod\napi:\n  replicas: 3 # three\n"
	if err := os.WriteFile(filepath.Join(dir, "values-prod.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &pipeline.Pipeline{Path: filepath.Join(dir, "promote.yaml")}
	h := &pipeline.HelmSource{Chart: "chart", Values: []string{"values-prod.yaml"},
		ImagePaths: map[string]string{"registry.example.com/api": "api.image"}}
	files, err := writeHelm(p, h, images("registry.example.com/api:3.0"))
	if err != nil {
		t.Fatal(err)
	}
	want := src + "  image: registry.example.com/api:3.0\n"
	if diff := cmp.Diff(want, string(string(files[filepath.Join(dir, "values-prod.yaml")]))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSplitRef(t *testing.T) {
	tests := []struct{ ref, repo, tag, digest string }{
		{"nginx", "nginx", "", ""},
		{"reg:5000/a/b:1.2", "reg:5000/a/b", "1.2", ""},
		{"reg/a@sha256:ff", "reg/a", "", "sha256:ff"},
		{"reg:5000/a:1.0-late-crash@sha256:ff", "reg:5000/a", "1.0-late-crash", "sha256:ff"},
	}
	for _, tt := range tests {
		repo, tag, digest := splitRef(tt.ref)
		if got, want := []string{repo, tag, digest}, []string{tt.repo, tt.tag, tt.digest}; !cmp.Equal(got, want) {
			t.Errorf("splitRef(%q) = %q, want %q", tt.ref, got, want)
		}
	}
}
