package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// object decodes YAML into an object, failing the test on error.
func object(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func entry(manager string, op metav1.ManagedFieldsOperationType, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, APIVersion: "apps/v1", FieldsType: "FieldsV1",
		FieldsV1: metav1.NewFieldsV1(fields)}
}

const helmFields = `{"f:metadata":{"f:annotations":{".":{},"f:meta.helm.sh/release-name":{},"f:meta.helm.sh/release-namespace":{}},` +
	`"f:labels":{".":{},"f:app":{},"f:app.kubernetes.io/managed-by":{}}},` +
	`"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}},"k:{\"name\":\"old\"}":{".":{},"f:image":{},"f:name":{}}}}}}}`

// TestTakesOver: an object Helm wrote is taken over until the tool has
// applied it once; objects Helm never wrote are not.
func TestTakesOver(t *testing.T) {
	helm := entry("helm", metav1.ManagedFieldsOperationUpdate, helmFields)
	ours := entry("kubectl-promote", metav1.ManagedFieldsOperationApply, `{"f:spec":{"f:replicas":{}}}`)
	other := entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, `{"f:spec":{"f:replicas":{}}}`)
	for _, tc := range []struct {
		name    string
		managed []metav1.ManagedFieldsEntry
		want    bool
	}{
		{"helm only", []metav1.ManagedFieldsEntry{helm}, true},
		{"helm and another client", []metav1.ManagedFieldsEntry{helm, other}, true},
		{"already applied", []metav1.ManagedFieldsEntry{ours, helm}, false},
		{"no helm", []metav1.ManagedFieldsEntry{other}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := object(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
			u.SetManagedFields(tc.managed)
			if got := TakesOver(u, "kubectl-promote"); got != tc.want {
				t.Errorf("TakesOver = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReleased: the dry-run of a takeover loses the fields only Helm owned
// that the apply does not set (Helm's annotations, a container the render
// dropped), and keeps what the apply or another manager owns.
func TestReleased(t *testing.T) {
	const base = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, app.kubernetes.io/managed-by: Helm}
  annotations: {meta.helm.sh/release-name: web, meta.helm.sh/release-namespace: shop}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - {name: web, image: web:2}
      - {name: old, image: old:1}
`
	live := object(t, base)
	live.SetManagedFields([]metav1.ManagedFieldsEntry{entry("helm", metav1.ManagedFieldsOperationUpdate, helmFields)})
	dry := object(t, base)
	dry.SetManagedFields([]metav1.ManagedFieldsEntry{
		entry("helm", metav1.ManagedFieldsOperationUpdate, helmFields),
		entry("kubectl-promote", metav1.ManagedFieldsOperationApply,
			`{"f:metadata":{"f:labels":{"f:app":{},"f:app.kubernetes.io/managed-by":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}`),
		entry("kubectl-scale", metav1.ManagedFieldsOperationUpdate, `{"f:spec":{"f:replicas":{}}}`),
	})
	want := object(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, app.kubernetes.io/managed-by: Helm}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - {name: web, image: web:2}
`)
	got := released(live, dry)
	if d := cmp.Diff(want.Object, Normalize(got).Object); d != "" {
		t.Errorf("released (-want +got):\n%s", d)
	}
	if _, ok := dry.GetAnnotations()[HelmReleaseNameAnnotation]; !ok {
		t.Error("released changed the dry-run it was given")
	}
}
