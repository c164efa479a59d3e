package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/render"
)

// Artifacts lists what a render carries to the next environment: its image
// references, exactly as rendered, and the chart version of a Helm source
// (with the OCI manifest digest of a chart from a registry:
// "1.2.3@sha256:…").
func Artifacts(res *render.Result) []release.Artifact {
	var out []release.Artifact
	for _, img := range res.Images {
		out = append(out, release.Artifact{Type: release.ArtifactImage, Name: render.ImageRepository(img), Ref: img})
	}
	if res.ChartVersion != "" {
		ref := res.ChartVersion
		if res.ChartDigest != "" {
			ref += "@" + res.ChartDigest
		}
		out = append(out, release.Artifact{Type: release.ArtifactChart, Name: res.Chart, Ref: ref})
	}
	return out
}

// ArtifactText names an artifact for people: an image by its reference, a
// chart as "chart NAME@VERSION" (with the OCI digest when it has one).
func ArtifactText(a release.Artifact) string {
	if a.Type != release.ArtifactChart {
		return a.Ref
	}
	if a.Name == "" {
		return "chart " + a.Ref
	}
	return "chart " + a.Name + "@" + a.Ref
}

// ChartRef splits a chart artifact's reference into version and OCI
// digest (empty when it has none).
func ChartRef(ref string) (version, digest string) {
	version, digest, _ = strings.Cut(ref, "@")
	return version, digest
}

// RenderOptions turns an upstream release's artifacts into the render
// options of its downstream: each image reference replaces the images of
// its repository, digests kept; the chart is rendered at the upstream's
// version (and OCI digest).
func RenderOptions(arts []release.Artifact) render.Options {
	o := render.Options{Images: map[string]string{}}
	for _, a := range arts {
		switch a.Type {
		case release.ArtifactImage:
			o.Images[render.ImageRepository(a.Ref)] = a.Ref
		case release.ArtifactChart:
			o.ChartName = a.Name
			o.ChartVersion, o.ChartDigest = ChartRef(a.Ref)
		}
	}
	return o
}

// Promoted returns the artifacts of upstream that the target's render
// actually uses: the image references a promotion changed or kept in
// place, and the chart version when the target's chart comes from a
// repository or registry and was rendered at it.
func Promoted(upstream []release.Artifact, target *render.Result) []release.Artifact {
	used := map[string]bool{}
	for _, img := range target.Images {
		used[img] = true
	}
	var out []release.Artifact
	for _, a := range upstream {
		switch a.Type {
		case release.ArtifactImage:
			if used[a.Ref] {
				out = append(out, a)
			}
		case release.ArtifactChart:
			v, _ := ChartRef(a.Ref)
			if target.ChartSource != "" && v == target.ChartVersion && (a.Name == "" || a.Name == target.Chart) {
				out = append(out, a)
			}
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
