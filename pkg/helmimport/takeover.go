package helmimport

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Check verifies that every object of r is live and may be taken over for
// owner: it exists, is not marked as another Helm release's, and carries
// no other environment's owner labels. Errors name the object; a missing
// object or another release's is a cluster error (exit 3), another
// environment's object bad input (exit 2). Nothing is changed.
func (r *Release) Check(ctx context.Context, c *kube.Clients, owner diff.Owner) error {
	m := diff.NewManager(c, diff.DefaultApplyOptions())
	for _, u := range r.Objects {
		res, err := m.Resource(u)
		if err != nil {
			return err
		}
		live, err := m.Get(ctx, res)
		if err != nil {
			return err
		}
		if err := r.check(res.Ref, live, owner); err != nil {
			return err
		}
	}
	return nil
}

// check is Check of one live object.
func (r *Release) check(ref kube.ObjectRef, live *unstructured.Unstructured, owner diff.Owner) error {
	h := r.Helm
	if live == nil {
		return exitcode.With(exitcode.Cluster, fmt.Errorf("%s: in %s but not in the cluster: repair the release with helm upgrade (or helm rollback) first, then import it", ref, r))
	}
	ann := live.GetAnnotations()
	if name, ok := ann[diff.HelmReleaseNameAnnotation]; ok && (name != h.Name || ann[diff.HelmReleaseNamespaceAnnotation] != h.Namespace) {
		return exitcode.With(exitcode.Cluster, fmt.Errorf("%s: in %s but marked as Helm release %s/%s's: leave it to that release, or fix its %s annotations",
			ref, r, ann[diff.HelmReleaseNamespaceAnnotation], name, "meta.helm.sh/release-*"))
	}
	l := live.GetLabels()
	p, e := l[kube.LabelPipeline], l[kube.LabelEnvironment]
	if (p != "" || e != "") && (p != owner.Pipeline || e != owner.Environment) {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("%s: in %s but already owned by pipeline %q environment %q: an object can belong to one environment only", ref, r, p, e))
	}
	return nil
}

// TakeOver moves the fields Helm's managers own on each of objs to the
// tool's field manager (diff.Manager.TakeOver): only managedFields change,
// no object is recreated or rolled. Objects Helm never wrote, or that are
// not there, are left alone. It returns how many it took over, and stops
// at the first error.
func TakeOver(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured) (int, error) {
	m := diff.NewManager(c, diff.DefaultApplyOptions())
	moved := 0
	for _, u := range objs {
		res, err := m.Resource(u)
		if err != nil {
			return moved, err
		}
		ok, err := m.TakeOver(ctx, res)
		if err != nil {
			return moved, err
		}
		if ok {
			moved++
		}
	}
	return moved, nil
}
