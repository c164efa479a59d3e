package diff

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/google/go-cmp/cmp"
)

func TestStringDataToData(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{
			name: "stringData becomes base64 data and wins over data",
			in:   "{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: eA==, b: eQ==}, stringData: {b: hello, c: world}}",
			want: "{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: eA==, b: aGVsbG8=, c: d29ybGQ=}}",
		},
		{
			name: "no stringData is left alone",
			in:   "{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: eA==}}",
			want: "{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: eA==}}",
		},
		{
			name: "null stringData is dropped",
			in:   "{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: null}",
			want: "{apiVersion: v1, kind: Secret, metadata: {name: s}}",
		},
		{
			name: "other kinds keep stringData",
			in:   "{apiVersion: example.com/v1, kind: Secret, metadata: {name: s}, stringData: {a: b}}",
			want: "{apiVersion: example.com/v1, kind: Secret, metadata: {name: s}, stringData: {a: b}}",
		},
		{
			name:    "a non-string value is an error",
			in:      "{apiVersion: v1, kind: Secret, metadata: {name: s, namespace: ns}, stringData: {a: 1}}",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := obj(t, tt.in)
			err := StringDataToData(u)
			if (err != nil) != tt.wantErr {
				t.Fatalf("StringDataToData() error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if d := cmp.Diff(obj(t, tt.want).Object, u.Object); d != "" {
				t.Errorf("StringDataToData() (-want +got):\n%s", d)
			}
		})
	}
}

func TestPrepareAddsOwnerLabelsToCopies(t *testing.T) {
	in := obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {app: web}}}")
	before := in.DeepCopy()
	got, err := Prepare([]*unstructured.Unstructured{in}, Owner{Pipeline: "shop", Environment: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"app":                                    "web",
		"promote.kubectl-plugin.dev/pipeline":    "shop",
		"promote.kubectl-plugin.dev/environment": "dev",
	}
	if d := cmp.Diff(want, got[0].GetLabels()); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
	if d := cmp.Diff(before.Object, in.Object); d != "" {
		t.Errorf("Prepare changed its input (-want +got):\n%s", d)
	}
}
