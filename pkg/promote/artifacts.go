package promote

import (
	"context"
	"fmt"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// Artifacts lists what a render carries to the next environment: its image
// references, exactly as rendered, and the chart version of a Helm source.
func Artifacts(res *render.Result) []release.Artifact {
	var out []release.Artifact
	for _, img := range res.Images {
		out = append(out, release.Artifact{Type: release.ArtifactImage, Name: render.ImageRepository(img), Ref: img})
	}
	if res.ChartVersion != "" {
		out = append(out, release.Artifact{Type: release.ArtifactChart, Ref: res.ChartVersion})
	}
	return out
}

// RenderOptions turns an upstream release's artifacts into the render
// options of its downstream: each image reference replaces the images of
// its repository, digests kept; the chart version is carried as it is.
func RenderOptions(arts []release.Artifact) render.Options {
	o := render.Options{Images: map[string]string{}}
	for _, a := range arts {
		switch a.Type {
		case release.ArtifactImage:
			o.Images[render.ImageRepository(a.Ref)] = a.Ref
		case release.ArtifactChart:
			o.ChartVersion = a.Ref
		}
	}
	return o
}

// Promoted returns the image artifacts of upstream that the target's render
// actually uses: the references a promotion changed or kept in place.
func Promoted(upstream []release.Artifact, target *render.Result) []release.Artifact {
	used := map[string]bool{}
	for _, img := range target.Images {
		used[img] = true
	}
	var out []release.Artifact
	for _, a := range upstream {
		if a.Type == release.ArtifactImage && used[a.Ref] {
			out = append(out, a)
		}
	}
	return out
}

// UpstreamRelease reads the latest successful release of upstream env from
// store. None is a blocked promotion (exit 6): there is nothing to promote.
func UpstreamRelease(ctx context.Context, store *release.Store, env string) (*release.Record, error) {
	rec, err := store.Latest(ctx, release.Succeeded)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading the release history of %s: %w", env, err))
	}
	if rec == nil {
		return nil, exitcode.With(exitcode.Blocked, fmt.Errorf("nothing to promote: %s has no successful release (run `kubectl promote apply %s` first)", env, env))
	}
	return rec, nil
}
