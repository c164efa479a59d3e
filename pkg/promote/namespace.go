package promote

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// renderedNamespace is the Namespace object of objs named ns, or nil.
func renderedNamespace(objs []*unstructured.Unstructured, ns string) *unstructured.Unstructured {
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		if gvk.Group == "" && gvk.Kind == "Namespace" && u.GetName() == ns {
			return u
		}
	}
	return nil
}

// missingNamespace is the object to apply for the missing namespace ns:
// the render's own Namespace, else with create one labelled as created by
// kubectl-promote, else an error saying how to fix it (exit 3).
func missingNamespace(rendered *unstructured.Unstructured, ns string, create bool) (*unstructured.Unstructured, error) {
	if rendered != nil {
		return rendered, nil
	}
	if !create {
		return nil, exitcode.With(exitcode.Cluster, fmt.Errorf(
			"namespace %s does not exist: nothing was changed (pass --create-namespace, add a Namespace %s to the render, or create it)", ns, ns))
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Namespace")
	u.SetName(ns)
	// Not part of any render: the tool's mark, not the owner labels (which
	// would make diff list it as owned and dropped).
	u.SetLabels(map[string]string{release.LabelManagedBy: release.ManagedBy})
	return u, nil
}

// clusterNamespace ensures r's namespace on its cluster. A namespace that
// exists is left to the ordinary apply, under the lock. One that cannot be
// read (namespace-scoped RBAC may not allow it) is taken to exist: the
// lock then names it if it does not.
func clusterNamespace(r *Request) func(context.Context, []*unstructured.Unstructured) error {
	return func(ctx context.Context, objs []*unstructured.Unstructured) error {
		_, err := r.Clients.Typed.CoreV1().Namespaces().Get(ctx, r.Namespace, metav1.GetOptions{})
		switch {
		case err == nil, apierrors.IsForbidden(err):
			return nil
		case !apierrors.IsNotFound(err):
			return exitcode.With(exitcode.Cluster, fmt.Errorf("%s: %w", kube.ObjectRef{Version: "v1", Kind: "Namespace", Name: r.Namespace}, err))
		}
		rendered := renderedNamespace(objs, r.Namespace)
		u, err := missingNamespace(rendered, r.Namespace, r.CreateNamespace)
		if err != nil {
			return err
		}
		// objs went through diff.Prepare: a rendered Namespace carries
		// the owner labels already, like every other object.
		o := rollout.DefaultApplyOptions()
		o.Force = r.Force
		if _, err := rollout.ApplyOne(ctx, r.Clients, u, o); err != nil {
			return exitcode.With(exitcode.Cluster, fmt.Errorf("creating the namespace: nothing else was changed: %w", err))
		}
		how := "from the render"
		if rendered == nil {
			how = "(--create-namespace)"
		}
		r.emitf("namespace", "created Namespace/%s %s", r.Namespace, how)
		return nil
	}
}
