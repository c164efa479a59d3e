package render

import (
	"bytes"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

func TestEncode(t *testing.T) {
	cm := obj("v1", "ConfigMap", "shop", "web")
	cm.Object["data"] = map[string]interface{}{"html": "<b>&</b>", "port": "8080"}
	objs := []*unstructured.Unstructured{obj("v1", "Namespace", "", "shop"), cm}
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Encode(&b, objs, format); err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join("testdata", "golden", "encode."+format), b.String())
		})
	}
	t.Run("empty yaml", func(t *testing.T) {
		var b bytes.Buffer
		if err := Encode(&b, nil, "yaml"); err != nil || b.Len() != 0 {
			t.Errorf("Encode(nil) = %q, %v; want nothing", b.String(), err)
		}
	})
	t.Run("unknown format", func(t *testing.T) {
		err := Encode(&bytes.Buffer{}, objs, "toml")
		if exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Encode(toml) = %v (exit %d), want bad input", err, exitcode.Code(err))
		}
	})
}
