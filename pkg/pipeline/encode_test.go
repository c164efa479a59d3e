package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
)

func TestMarshalRoundTrip(t *testing.T) {
	p := testPipeline(t)
	data, err := Marshal(p, "written by a test")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/golden/marshal.yaml", string(data))
	back, err := Parse(p.Path, data)
	if err != nil {
		t.Fatalf("Parse(Marshal()) = %v\n%s", err, data)
	}
	if diff := cmp.Diff(p, back, cmpopts.IgnoreFields(Pipeline{}, "Lines")); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}
