package watch

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestJobFailure(t *testing.T) {
	job := func(conditions ...any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "batch/v1", "kind": "Job",
			"metadata": map[string]any{"name": "migrate", "namespace": "shop"},
			"status":   map[string]any{"conditions": conditions},
		}}
	}
	complete := map[string]any{"type": "Complete", "status": "True"}
	failedAt := func(name string, at time.Duration) podOpt {
		return func(p *corev1.Pod) {
			p.Name, p.CreationTimestamp = name, metav1.NewTime(t0.Add(at))
			p.Status.Phase = corev1.PodFailed
			p.Status.Conditions = nil
			p.Status.ContainerStatuses[0].Name = "migrate"
		}
	}
	tests := []struct {
		name string
		job  *unstructured.Unstructured
		pods []*corev1.Pod
		want *Failure
	}{
		{
			name: "a running pod: nothing yet",
			job:  job(),
			pods: []*corev1.Pod{newPod(named("migrate-a"))},
		},
		{
			name: "the first failed pod fails it, named with its exit",
			job:  job(),
			pods: []*corev1.Pod{
				newPod(failedAt("migrate-b", 2*time.Second), terminated("Error", 2)),
				newPod(failedAt("migrate-a", 0), terminated("Error", 1)),
				newPod(named("migrate-c")),
			},
			want: &Failure{Object: "Pod/shop/migrate-a", Container: "migrate", Reason: "Error", Message: "exit code 1; 2 pod(s) of Job/shop/migrate failed"},
		},
		{
			name: "a pod failed without a container exit (evicted)",
			job:  job(),
			pods: []*corev1.Pod{newPod(failedAt("migrate-a", 0), func(p *corev1.Pod) {
				p.Status.Reason, p.Status.Message = "Evicted", "low on memory"
			})},
			want: &Failure{Object: "Pod/shop/migrate-a", Reason: "Evicted", Message: "low on memory; 1 pod(s) of Job/shop/migrate failed"},
		},
		{
			name: "a Job that completed after a failed try is healthy",
			job:  job(complete),
			pods: []*corev1.Pod{newPod(failedAt("migrate-a", 0), terminated("Error", 1))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JobFailure(tt.job, tt.pods)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("JobFailure() (-want +got):\n%s", diff)
			}
		})
	}
}
