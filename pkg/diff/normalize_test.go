package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "server bookkeeping goes, controller annotations stay",
			in: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  uid: 0a0a
  resourceVersion: "42"
  generation: 3
  creationTimestamp: "2026-01-01T00:00:00Z"
  managedFields: [{manager: kubectl-promote}]
  annotations:
    deployment.kubernetes.io/revision: "2"
    kubectl.kubernetes.io/last-applied-configuration: '{"kind":"Deployment"}'
spec: {replicas: 2}
status: {readyReplicas: 2}`,
			want: `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations: {deployment.kubernetes.io/revision: "2"}
spec: {replicas: 2}`,
		},
		{
			name: "an annotation map left empty disappears",
			in:   `{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}"}}}`,
			want: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := obj(t, tt.in)
			before := in.DeepCopy()
			got := Normalize(in)
			if d := cmp.Diff(obj(t, tt.want).Object, got.Object); d != "" {
				t.Errorf("Normalize() (-want +got):\n%s", d)
			}
			if d := cmp.Diff(before.Object, in.Object); d != "" {
				t.Errorf("Normalize() changed its input (-want +got):\n%s", d)
			}
		})
	}
	if Normalize(nil) != nil {
		t.Error("Normalize(nil) != nil")
	}
}
