package rollout

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// liveGuard hands the scale-down delay over only while the guard's
// heartbeat is renewed.
func TestLiveGuard(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	heartbeat := func(renewed time.Time) *coordinationv1.Lease {
		return &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: GuardHeartbeatName("shop", "prod"), Namespace: "shop"},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("guard@ci"), LeaseDurationSeconds: ptr.To(int32(10)),
				RenewTime: ptr.To(metav1.NewMicroTime(renewed))},
		}
	}
	tests := []struct {
		name  string
		lease *coordinationv1.Lease
		want  string
	}{
		{name: "no guard"},
		{name: "renewed", lease: heartbeat(now.Add(-9 * time.Second)), want: "guard@ci"},
		{name: "expired", lease: heartbeat(now.Add(-10 * time.Second))},
		{name: "no holder", lease: func() *coordinationv1.Lease { l := heartbeat(now); l.Spec.HolderIdentity = nil; return l }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset()
			if tt.lease != nil {
				client = fake.NewClientset(tt.lease)
			}
			s := &Switch{Clients: &kube.Clients{Typed: client}, Namespace: "shop", Env: &pipeline.Environment{Name: "prod"},
				Owner: map[string]string{kube.LabelPipeline: "shop"}, Clock: clocktesting.NewFakeClock(now)}
			got, err := liveGuard(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("liveGuard (-want +got):\n%s", diff)
			}
		})
	}
}
