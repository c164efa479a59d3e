package render

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
)

// TestGolden renders every environment of the examples and fixtures.
func TestGolden(t *testing.T) {
	for _, c := range allEnvs(t) {
		t.Run(c.name, func(t *testing.T) {
			res := mustRender(t, c, Options{})
			testutil.Golden(t, filepath.Join("testdata", "golden", c.name+".yaml"), string(describe(t, res)))
		})
	}
}

// TestGoldenPromoted renders each environment that has an upstream with the
// upstream's artifacts, as a promotion does: the images of the upstream
// replace those of the same repository, digests and all.
func TestGoldenPromoted(t *testing.T) {
	for _, c := range allEnvs(t) {
		if c.env.From == "" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			up, err := c.p.Env(c.env.From)
			if err != nil {
				t.Fatal(err)
			}
			upstream := mustRender(t, envCase{p: c.p, env: up}, Options{})
			opts := Options{Images: map[string]string{}, ChartVersion: upstream.ChartVersion}
			for _, ref := range upstream.Images {
				opts.Images[ImageRepository(ref)] = ref
			}
			res := mustRender(t, c, opts)
			testutil.Golden(t, filepath.Join("testdata", "golden", c.name+".promoted.yaml"), string(describe(t, res)))
		})
	}
}

func mustRender(t *testing.T, c envCase, opts Options) *Result {
	t.Helper()
	r, err := For(c.p, c.env)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Render(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
