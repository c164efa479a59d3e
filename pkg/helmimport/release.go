package helmimport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	helmrelease "helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// Release is the deployed revision of a Helm release and the objects of
// its manifest.
type Release struct {
	// Helm is the release as Helm's storage holds it.
	Helm *helmrelease.Release
	// Objects are the objects of its manifest (hooks are not among them),
	// with the release's namespace where they need one.
	Objects []*unstructured.Unstructured
}

// Find reads the deployed revision of the Helm release name in namespace
// from Helm's Secrets storage, where `helm install` keeps it by default.
// It returns nil, nil when there is no such deployed release. Helm's
// storage is only read.
func Find(ctx context.Context, c *kube.Clients, namespace, name string) (*Release, error) {
	store := storage.Init(driver.NewSecrets(c.Typed.CoreV1().Secrets(namespace)))
	rel, err := store.Deployed(name)
	if errors.Is(err, driver.ErrNoDeployedReleases) || errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("reading Helm release %s/%s from its Secrets: %w", namespace, name, err))
	}
	objs, err := manifestObjects(c, rel)
	if err != nil {
		return nil, err
	}
	return &Release{Helm: rel, Objects: objs}, nil
}

// History reads every stored revision of the Helm release name in
// namespace, oldest first, as `helm history` does.
func History(c kubernetes.Interface, namespace, name string) ([]*helmrelease.Release, error) {
	return storage.Init(driver.NewSecrets(c.CoreV1().Secrets(namespace))).History(name)
}

// manifestObjects decodes the release's manifest; namespaced objects
// without a namespace get the release's, as Helm installed them.
func manifestObjects(c *kube.Clients, rel *helmrelease.Release) ([]*unstructured.Unstructured, error) {
	objs, err := kube.DecodeDocuments(rel.Manifest)
	if err != nil {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("the manifest of Helm release %s/%s revision %d: %w", rel.Namespace, rel.Name, rel.Version, err))
	}
	for _, u := range objs {
		if u.GetNamespace() != "" {
			continue
		}
		m, err := c.Mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
		if err != nil {
			return nil, exitcode.With(exitcode.Cluster, fmt.Errorf("%s: in Helm release %s/%s: %w", kube.RefOf(u), rel.Namespace, rel.Name, err))
		}
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			u.SetNamespace(rel.Namespace)
		}
	}
	return objs, nil
}

// Origin is what a release record keeps of r: name, revision, chart and
// the values it was installed with.
func (r *Release) Origin() (*release.Origin, error) {
	h := r.Helm
	o := &release.HelmOrigin{Release: h.Name, Namespace: h.Namespace, Revision: h.Version}
	if h.Chart != nil && h.Chart.Metadata != nil {
		o.Chart = h.Chart.Metadata.Name + "-" + h.Chart.Metadata.Version
		o.AppVersion = h.Chart.Metadata.AppVersion
	}
	if len(h.Config) > 0 {
		values, err := json.Marshal(h.Config)
		if err != nil {
			// The error could quote a value: name the release only.
			return nil, fmt.Errorf("the values of Helm release %s/%s do not encode as JSON", h.Namespace, h.Name)
		}
		o.Values = values
	}
	return &release.Origin{Helm: o}, nil
}

// String names the release: "Helm release shop-dev/shop revision 3 (chart shop-0.1.0)".
func (r *Release) String() string {
	h := r.Helm
	chart := "unknown"
	if h.Chart != nil && h.Chart.Metadata != nil {
		chart = h.Chart.Metadata.Name + "-" + h.Chart.Metadata.Version
	}
	return fmt.Sprintf("Helm release %s/%s revision %d (chart %s)", h.Namespace, h.Name, h.Version, chart)
}
