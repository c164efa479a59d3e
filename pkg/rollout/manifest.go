package rollout

import (
	"bytes"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// EncodeManifest writes objs as one multi-document YAML string, the form a
// release record keeps.
func EncodeManifest(objs []*unstructured.Unstructured) (string, error) {
	var b bytes.Buffer
	for _, u := range objs {
		data, err := yaml.Marshal(u.Object)
		if err != nil {
			return "", fmt.Errorf("%s: %w", kube.RefOf(u), err)
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	return b.String(), nil
}

// DecodeManifest reads a manifest written by EncodeManifest.
func DecodeManifest(manifest string) ([]*unstructured.Unstructured, error) {
	objs, err := kube.DecodeDocuments(manifest)
	if err != nil {
		return nil, fmt.Errorf("release manifest: %w", err)
	}
	return objs, nil
}
