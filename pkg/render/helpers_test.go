package render

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// envCase is one environment of one pipeline file.
type envCase struct {
	name string // for test and golden file names
	p    *pipeline.Pipeline
	env  *pipeline.Environment
}

// pipelineFiles are every example's pipeline files and the test fixtures.
var pipelineFiles = []string{
	"../../examples/kustomize-shop/promote.yaml",
	"../../examples/kustomize-shop/promote-bad.yaml",
	"../../examples/helm-shop/promote.yaml",
	"../../examples/helm-shop/promote-bad.yaml",
	"testdata/fixtures/promote.yaml",
}

// allEnvs loads every environment of pipelineFiles.
func allEnvs(t *testing.T) []envCase {
	t.Helper()
	var out []envCase
	for _, f := range pipelineFiles {
		out = append(out, envsOf(t, f)...)
	}
	return out
}

func envsOf(t *testing.T, file string) []envCase {
	t.Helper()
	p := loadPipeline(t, file)
	prefix := filepath.Base(filepath.Dir(file))
	if stem := strings.TrimSuffix(filepath.Base(file), ".yaml"); stem != "promote" {
		prefix += "." + stem
	}
	out := make([]envCase, len(p.Spec.Environments))
	for i := range p.Spec.Environments {
		env := &p.Spec.Environments[i]
		out[i] = envCase{name: prefix + "." + env.Name, p: p, env: env}
	}
	return out
}

func loadPipeline(t *testing.T, file string) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Load(file)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return p
}

// describe writes a Result the way the golden files hold it: artifacts and
// warnings as comments, then the objects as YAML.
func describe(t *testing.T, res *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# images:\n")
	for _, i := range res.Images {
		fmt.Fprintf(&b, "#   %s\n", i)
	}
	if res.ChartVersion != "" {
		fmt.Fprintf(&b, "# chartVersion: %s\n", res.ChartVersion)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(&b, "# warning: %s\n", w)
	}
	for _, h := range res.Hooks {
		fmt.Fprintf(&b, "# hook: %s weight %d, delete %s, images %s\n", Ref(h.Object), h.Weight,
			strings.Join(h.DeletePolicies, ","), strings.Join(collectImages([]*unstructured.Unstructured{h.Object}), ","))
	}
	b.WriteString("---\n")
	if err := Encode(&b, res.Objects, "yaml"); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
