package promote

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// TestStatusReportsUnreadableParts: a lock or rollout state that cannot be
// read is listed and returned as an error (exit 3), with what could be
// read; before, such errors were dropped and the lock shown free.
func TestStatusReportsUnreadableParts(t *testing.T) {
	tests := []struct {
		name     string
		forbid   []string // resources whose get is forbidden
		problems int
	}{
		{name: "everything readable"},
		{name: "lock unreadable", forbid: []string{"leases"}, problems: 1},
		{name: "lock and state unreadable", forbid: []string{"leases", "configmaps"}, problems: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset()
			for _, res := range tt.forbid {
				client.PrependReactor("get", res, func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: res}, "x", nil)
				})
			}
			target := Target{
				Pipeline: &pipeline.Pipeline{Metadata: pipeline.Metadata{Name: "shop"}},
				Env:      &pipeline.Environment{Name: "dev", Namespace: "shop-dev"},
				Clients:  &kube.Clients{Typed: client},
			}
			st, err := Status(t.Context(), target, StatusOptions{Now: func() time.Time { return time.Unix(0, 0) }})
			if st == nil {
				t.Fatalf("no status: %v", err)
			}
			if diff := cmp.Diff(tt.problems, len(st.Problems)); diff != "" {
				t.Errorf("problems %q (-want +got):\n%s", st.Problems, diff)
			}
			wantCode := 0
			if tt.problems > 0 {
				wantCode = exitcode.Cluster
			}
			if exitcode.Code(err) != wantCode {
				t.Errorf("error %v (exit %d), want exit %d", err, exitcode.Code(err), wantCode)
			}
			if st.Health != HealthUnknown || st.Current != nil || st.Lock != nil {
				t.Errorf("status %+v: want no release, unknown health, no lock", st)
			}
		})
	}
}
