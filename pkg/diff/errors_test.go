package diff

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

var (
	webRef  = kube.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	deploys = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// conflictStatus is the error the apiserver sends for an apply conflict.
func conflictStatus() error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: 409, Reason: metav1.StatusReasonConflict,
		Message: "Apply failed with 2 conflicts: ...",
		Details: &metav1.StatusDetails{Name: "web", Group: "apps", Kind: "deployments", Causes: []metav1.StatusCause{
			{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "helm" using apps/v1`, Field: ".spec.replicas"},
			{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "kubectl-edit" using apps/v1`, Field: ".spec.template.spec.containers[name=\"web\"].image"},
			{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "helm" using apps/v1`, Field: ".metadata.labels.tier"},
		}},
	}}
}

func TestObjectError(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web",
		errors.New(`User "viewer" cannot patch resource "deployments" in API group "apps" in the namespace "shop"`))
	tests := []struct {
		name, verb string
		err        error
		want       string
		wantCode   int
	}{
		{
			name: "conflict names every other manager and its fields", verb: "patch", err: conflictStatus(),
			want: `Deployment/shop/web: conflict: .spec.replicas, .metadata.labels.tier owned by field manager "helm"; ` +
				`.spec.template.spec.containers[name="web"].image owned by field manager "kubectl-edit": ` +
				`make the render agree with their values, remove the fields from the render, or take them over with --force-conflicts`,
			wantCode: exitcode.Cluster,
		},
		{
			name: "forbidden names the verb, resource, namespace and user", verb: "patch", err: forbidden,
			want: `Deployment/shop/web: forbidden: dry-run needs "patch" on "deployments.apps" in namespace "shop" (user "viewer"): ` +
				`grant it with a Role bound to the user`,
			wantCode: exitcode.Cluster,
		},
		{
			name: "forbidden without a parsable message uses the request", verb: "get",
			err: apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("nope")),
			want: `Deployment/shop/web: forbidden: reading the live object needs "get" on "deployments.apps" in namespace "shop": ` +
				`grant it with a Role bound to the user`,
			wantCode: exitcode.Cluster,
		},
		{
			name: "a missing namespace says how to fix it", verb: "patch",
			err:      apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "shop"),
			want:     `Deployment/shop/web: namespace "shop" does not exist: create it or add a Namespace to the render`,
			wantCode: exitcode.Cluster,
		},
		{
			name: "an invalid object is a rejected dry-run", verb: "patch",
			err:  apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "web", nil),
			want: `Deployment/shop/web: dry-run rejected: Deployment.apps "web" is invalid`, wantCode: exitcode.Cluster,
		},
		{
			name: "a transport error means the cluster is unreachable", verb: "get",
			err:      fmt.Errorf("Get \"https://127.0.0.1:1\": dial tcp 127.0.0.1:1: connect: connection refused"),
			want:     `Deployment/shop/web: cluster unreachable: Get "https://127.0.0.1:1": dial tcp 127.0.0.1:1: connect: connection refused`,
			wantCode: exitcode.Cluster,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ObjectError(webRef, deploys, tt.verb, tt.err)
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() =\n%s\nwant\n%s", got, tt.want)
			}
			if got := exitcode.Code(err); got != tt.wantCode {
				t.Errorf("exit code = %d, want %d", got, tt.wantCode)
			}
		})
	}
}

func TestAsConflict(t *testing.T) {
	c, ok := AsConflict(webRef, conflictStatus())
	if !ok {
		t.Fatal("AsConflict() = false")
	}
	if got := []string{c.Conflicts[0].Manager, c.Conflicts[1].Manager}; got[0] != "helm" || got[1] != "kubectl-edit" {
		t.Errorf("managers = %v, want [helm kubectl-edit]", got)
	}
	if _, ok := AsConflict(webRef, apierrors.NewConflict(schema.GroupResource{Resource: "deployments"}, "web", errors.New("the object has been modified"))); ok {
		t.Error("a resourceVersion conflict is not a field-manager conflict")
	}
}

func TestErrorsGroupByCause(t *testing.T) {
	var errs []error
	for _, n := range []string{"e", "d", "c", "b", "a"} {
		r := webRef
		r.Name = n
		errs = append(errs, ObjectError(r, deploys, "patch", apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "shop")))
	}
	errs = append(errs, badInput(kube.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "cm"}, "something else"))
	err := join(errs)
	want := `ConfigMap/shop/cm: something else
Deployment/shop/a, Deployment/shop/b, Deployment/shop/c and 2 more: namespace "shop" does not exist: create it or add a Namespace to the render`
	if got := err.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	var ns *NamespaceError
	if !errors.As(err, &ns) {
		t.Error("errors.As(*NamespaceError) = false")
	}
}
