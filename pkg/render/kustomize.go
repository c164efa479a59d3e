package render

import (
	"context"
	"fmt"
	"os"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// kustomizeRenderer builds a kustomization directory the way
// `kubectl kustomize DIR` does.
type kustomizeRenderer struct {
	target
	dir string
}

func newKustomize(p *pipeline.Pipeline, env *pipeline.Environment, t target) (Renderer, error) {
	rel := env.Source.Kustomize.Path
	if rel == "" {
		return nil, sourceError(p, env, "source.kustomize", "kustomize.path is empty")
	}
	dir := resolve(p, rel)
	fi, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		return nil, sourceError(p, env, "source.kustomize.path", "kustomize path %s does not exist (paths are relative to the pipeline file)", dir)
	case err != nil:
		return nil, sourceError(p, env, "source.kustomize.path", "kustomize path: %v", err)
	case !fi.IsDir():
		return nil, sourceError(p, env, "source.kustomize.path", "kustomize path %s is not a directory", dir)
	}
	if err := confine(p, env, t, "source.kustomize.path", dir); err != nil {
		return nil, err
	}
	return &kustomizeRenderer{target: t, dir: dir}, nil
}

// kustomizeMu serialises kustomize builds: kustomize keeps its OpenAPI
// schema in process-wide state that a build resets and reads unlocked.
var kustomizeMu sync.Mutex

// Render runs kustomize with kubectl's defaults: loading restricted to the
// kustomization root, plugins and Helm inflation off; and every file it
// reads confined to the repository and bounded (see boundedFS). Concurrent
// Kustomize renders run one at a time.
func (k *kustomizeRenderer) Render(ctx context.Context, opts Options) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, refused, err := k.build()
	switch {
	case refused != nil:
		return nil, fmt.Errorf("kustomize %s: %w", k.dir, refused)
	case err != nil:
		return nil, exitcode.With(exitcode.BadInput, newKustomizeError(k.dir, err))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	objs, err := fromResMap(m)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("kustomize %s: %w", k.dir, err))
	}
	res, err := finish(k.target, objs, opts)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, fmt.Errorf("kustomize %s: %w", k.dir, err))
	}
	return res, nil
}

// build runs kustomize; refused is a read the bounds refused, which takes
// precedence over kustomize's error.
func (k *kustomizeRenderer) build() (m resmap.ResMap, refused, err error) {
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	fs := newBoundedFS(k.bounds)
	m, err = krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, k.dir)
	return m, fs.refused, err
}

// fromResMap converts kustomize's resources to unstructured objects.
func fromResMap(m resmap.ResMap) ([]object, error) {
	res := m.Resources()
	objs := make([]object, 0, len(res))
	for _, r := range res {
		b, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		objs = append(objs, object{Unstructured: u})
	}
	return objs, nil
}
