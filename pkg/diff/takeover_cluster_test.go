package diff

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// createAsHelm creates u as Helm 3's CLI installs a release: a plain
// create under field manager "helm", marked with the release's annotations.
func (e clusterEnv) createAsHelm(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	u = u.DeepCopy()
	u.SetAnnotations(map[string]string{HelmReleaseNameAnnotation: "web", HelmReleaseNamespaceAnnotation: e.ns})
	m, err := e.clients.Mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.clients.Dynamic.Resource(m.Resource).Namespace(e.ns).Create(t.Context(), u, metav1.CreateOptions{FieldManager: "helm"}); err != nil {
		t.Fatal(err)
	}
}

// Given a Deployment Helm installed, When the render changes its image,
// Then the diff shows the image, the owner labels and Helm's annotations
// going, with no conflict and no defaulted field going; TakeOver moves
// Helm's fields without changing the object (once), and the apply that
// follows changes the image without forcing and leaves nothing to diff.
func TestClusterTakeOverFromHelm(t *testing.T) {
	e := newClusterEnv(t)
	e.createAsHelm(t, e.objs(t, deployment("web:1.0", 2))[0])
	render := e.objs(t, deployment("web:2.0", 2))

	cs := e.diff(t, render, e.options())
	var paths []string
	for _, f := range cs.Changes[0].Fields {
		paths = append(paths, f.Path)
	}
	slices.Sort(paths)
	want := []string{ // the live Deployment has no labels: they come as a whole
		`.metadata.annotations["meta.helm.sh/release-name"]`, `.metadata.annotations["meta.helm.sh/release-namespace"]`,
		".metadata.labels", ".spec.template.spec.containers[name=web].image",
	}
	if d := cmp.Diff(want, paths); d != "" || len(cs.Changes[0].Conflicts) > 0 {
		t.Errorf("changed fields (-want +got):\n%s\nconflicts: %v", d, cs.Changes[0].Conflicts)
	}

	m := NewManager(e.clients, DefaultApplyOptions())
	r, err := m.Resource(render[0])
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.Get(t.Context(), r)
	for i, want := range []bool{true, false} {
		if moved, err := m.TakeOver(t.Context(), r); err != nil || moved != want {
			t.Fatalf("TakeOver #%d = %v, %v; want %v", i+1, moved, err, want)
		}
	}
	after, _ := m.Get(t.Context(), r)
	if d := cmp.Diff(Normalize(before).Object, Normalize(after).Object); d != "" || after.GetGeneration() != before.GetGeneration() {
		t.Errorf("TakeOver changed the object (generation %d → %d):\n%s", before.GetGeneration(), after.GetGeneration(), d)
	}
	if HelmManagers(after).Len() != 0 || TakesOver(after, m.opts.FieldManager) {
		t.Errorf("Helm's manager still owns fields: %v", after.GetManagedFields())
	}

	prepared, err := Prepare(render, testOwner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.ApplyAll(t.Context(), prepared); err != nil {
		t.Fatalf("apply after the takeover: %v", err)
	}
	if cs := e.diff(t, render, e.options()); cs.HasDifferences() {
		t.Errorf("diff after the apply: %s", cs.Summary())
	}
	applied, _ := m.Get(t.Context(), r)
	if _, ok := applied.GetAnnotations()[HelmReleaseNameAnnotation]; ok {
		t.Error("Helm's annotation is still there after the apply")
	}
}
