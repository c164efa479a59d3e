package render

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// TestRenderErrors renders each environment of testdata/errors/promote.yaml,
// each broken in its own way: every one must fail with exit code 2 and a
// message naming the file (and line, where there is one).
func TestRenderErrors(t *testing.T) {
	var all bytes.Buffer
	for _, c := range envsOf(t, "testdata/errors/promote.yaml") {
		t.Run(c.env.Name, func(t *testing.T) {
			err := renderErr(c)
			if err == nil {
				t.Fatal("rendered without error")
			}
			if got := exitcode.Code(err); got != exitcode.BadInput {
				t.Errorf("exit code %d, want %d (bad input): %v", got, exitcode.BadInput, err)
			}
			fmt.Fprintf(&all, "%s:\n\t%v\n", c.env.Name, err)
		})
	}
	testutil.Golden(t, "testdata/golden/errors.txt", all.String())
}

func renderErr(c envCase) error {
	r, err := For(c.p, c.env)
	if err != nil {
		return err
	}
	res, err := r.Render(context.Background(), Options{})
	if err == nil && res == nil {
		return fmt.Errorf("no result and no error")
	}
	return err
}
