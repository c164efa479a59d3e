package kube

import "testing"

// TestDecode: documents of a Helm manifest, empty ones skipped.
func TestDecode(t *testing.T) {
	objs, err := DecodeDocuments("---\n# Source: shop/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetName() != "a" || objs[1].GetKind() != "Service" {
		t.Errorf("decoded %d objects: %v", len(objs), objs)
	}
}
