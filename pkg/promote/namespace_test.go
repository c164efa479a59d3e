package promote

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

func object(apiVersion, kind, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetName(name)
	return u
}

func TestMissingNamespace(t *testing.T) {
	own := object("v1", "Namespace", "shop-dev")
	cases := []struct {
		name     string
		objs     []*unstructured.Unstructured
		create   bool
		want     *unstructured.Unstructured // nil: an error
		wantCode int
	}{
		{
			name: "the render's own Namespace is applied",
			objs: []*unstructured.Unstructured{object("apps/v1", "Deployment", "web"), own},
			want: own,
		},
		{
			name:   "the render's own Namespace wins over --create-namespace",
			objs:   []*unstructured.Unstructured{own},
			create: true,
			want:   own,
		},
		{
			name:   "--create-namespace makes one labelled as created by kubectl-promote",
			objs:   []*unstructured.Unstructured{object("v1", "Namespace", "other")},
			create: true,
			want: func() *unstructured.Unstructured {
				u := object("v1", "Namespace", "shop-dev")
				u.SetLabels(map[string]string{"app.kubernetes.io/managed-by": "kubectl-promote"})
				return u
			}(),
		},
		{
			name:     "another namespace's Namespace does not count",
			objs:     []*unstructured.Unstructured{object("v1", "Namespace", "other")},
			wantCode: exitcode.Cluster,
		},
		{
			name:     "a Namespace kind of another group does not count",
			objs:     []*unstructured.Unstructured{object("example.com/v1", "Namespace", "shop-dev")},
			wantCode: exitcode.Cluster,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := missingNamespace(renderedNamespace(c.objs, "shop-dev"), "shop-dev", c.create)
			if c.want == nil {
				if err == nil || exitcode.Code(err) != c.wantCode {
					t.Fatalf("got %v, exit %d; want an error with exit %d", err, exitcode.Code(err), c.wantCode)
				}
				for _, hint := range []string{"namespace shop-dev does not exist", "nothing was changed", "--create-namespace", "add a Namespace shop-dev to the render"} {
					if !strings.Contains(err.Error(), hint) {
						t.Errorf("error %q lacks %q", err, hint)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want.Object, got.Object); diff != "" {
				t.Errorf("namespace to apply (-want +got):\n%s", diff)
			}
		})
	}
}

// Given a namespace that cannot be made to exist, When a release is
// deployed, Then it fails with that error before the lock is taken and
// before any record is written; the namespace step sees the objects with
// their owner labels.
func TestDeployEnsuresTheNamespaceBeforeTheLock(t *testing.T) {
	r := newRun(t)
	r.locker = fakeLocker{err: errors.New("the lock was taken before the namespace was ensured")}
	var labels map[string]string
	r.namespace = func(_ context.Context, objs []*unstructured.Unstructured) error {
		labels = objs[0].GetLabels()
		return exitcode.With(exitcode.Cluster, errors.New("namespace shop-dev does not exist"))
	}
	_, err := r.deploy(t)
	if err == nil || exitcode.Code(err) != exitcode.Cluster || !strings.Contains(err.Error(), "namespace shop-dev does not exist") {
		t.Fatalf("got %v (exit %d), want the namespace error with exit 3", err, exitcode.Code(err))
	}
	if labels[kube.LabelEnvironment] != "dev" {
		t.Errorf("the namespace step saw labels %v, want the owner labels", labels)
	}
	recs, err := r.store.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Errorf("%d records, want only the previous one", len(recs))
	}
}
