package watch

import (
	"testing"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestPodFailure(t *testing.T) {
	const pod = "Pod/shop/web-1"
	fail := func(container, reason, msg string) *Failure {
		return &Failure{Object: pod, Container: container, Reason: reason, Message: msg}
	}
	grace := 30 * time.Second
	tests := []struct {
		name string
		pod  *corev1.Pod
		o    Options
		now  time.Time
		want *Failure
	}{
		{name: "ready pod", pod: newPod()},
		{name: "starting pod", pod: newPod(waiting("ContainerCreating", ""))},
		{name: "pending pod without statuses", pod: newPod(func(p *corev1.Pod) { p.Status = corev1.PodStatus{Phase: corev1.PodPending} })},
		{
			name: "CrashLoopBackOff",
			pod:  newPod(waiting("CrashLoopBackOff", "back-off 10s restarting failed container=web"), restarts(1)),
			want: fail("web", "CrashLoopBackOff", "back-off 10s restarting failed container=web"),
		},
		{name: "ImagePullBackOff", pod: newPod(waiting("ImagePullBackOff", "Back-off pulling image")), want: fail("web", "ImagePullBackOff", "Back-off pulling image")},
		{name: "ErrImagePull", pod: newPod(waiting("ErrImagePull", "not found")), want: fail("web", "ErrImagePull", "not found")},
		{
			name: "CreateContainerConfigError",
			pod:  newPod(waiting("CreateContainerConfigError", `secret "db" not found`)),
			want: fail("web", "CreateContainerConfigError", `secret "db" not found`),
		},
		{name: "CreateContainerError", pod: newPod(waiting("CreateContainerError", "x")), want: fail("web", "CreateContainerError", "x")},
		{name: "RunContainerError", pod: newPod(waiting("RunContainerError", "x")), want: fail("web", "RunContainerError", "x")},
		{name: "InvalidImageName", pod: newPod(waiting("InvalidImageName", "bad ref")), want: fail("web", "InvalidImageName", "bad ref")},
		{
			name: "init container first",
			pod:  newPod(initWaiting("CrashLoopBackOff", "init"), waiting("ImagePullBackOff", "main")),
			want: fail("migrate", "CrashLoopBackOff", "init"),
		},
		{name: "restarts at the limit", pod: newPod(restarts(2), lastTerminated("Error", 1))},
		{
			name: "restarts past the limit, even while Ready",
			pod:  newPod(restarts(3), lastTerminated("Error", 1)),
			want: fail("web", ReasonRestartLimit, "restarted 3 times (limit 2); last exit: Error, code 1"),
		},
		{
			name: "restart limit from options",
			pod:  newPod(restarts(1)),
			o:    Options{RestartLimit: 0, UnschedulableGrace: grace}.withDefaults(),
		},
		{name: "restart rule off", pod: newPod(restarts(50)), o: Options{RestartLimit: -1}},
		{
			name: "OOMKilled last state, immediately",
			pod:  newPod(restarts(1), lastTerminated("OOMKilled", 137), waiting("CrashLoopBackOff", "back-off")),
			want: fail("web", ReasonOOMKilled, "exit code 137, restarted 1 times"),
		},
		{
			name: "OOMKilled now, without restart",
			pod:  newPod(terminated("OOMKilled", 137)),
			want: fail("web", ReasonOOMKilled, "exit code 137, restarted 0 times"),
		},
		{name: "unschedulable within grace", pod: newPod(unschedulableSince(t0)), now: t0.Add(grace)},
		{
			name: "unschedulable past grace",
			pod:  newPod(unschedulableSince(t0)),
			now:  t0.Add(grace + time.Second),
			want: &Failure{Object: pod, Reason: ReasonUnschedulable, Message: "unschedulable for more than 30s: 0/3 nodes are available: 3 Insufficient cpu."},
		},
		{
			name: "unschedulable with a custom grace",
			pod:  newPod(unschedulableSince(t0)),
			o:    Options{UnschedulableGrace: 5 * time.Second},
			now:  t0.Add(6 * time.Second),
			want: &Failure{Object: pod, Reason: ReasonUnschedulable, Message: "unschedulable for more than 5s: 0/3 nodes are available: 3 Insufficient cpu."},
		},
		{name: "unschedulable rule off", pod: newPod(unschedulableSince(t0)), o: Options{UnschedulableGrace: -1}, now: t0.Add(time.Hour)},
		{name: "unschedulable without transition time is measured from now", pod: newPod(unschedulableSince(time.Time{})), now: t0.Add(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			got := PodFailure(tt.pod, tt.o, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PodFailure() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailureError(t *testing.T) {
	tests := []struct {
		f    Failure
		want string
	}{
		{
			Failure{Object: "Pod/shop/web-abc", Container: "web", Reason: "CrashLoopBackOff", Message: "back-off 10s restarting"},
			"Pod/shop/web-abc: container web: CrashLoopBackOff: back-off 10s restarting",
		},
		{Failure{Object: "Deployment/shop/web", Reason: "ProgressDeadlineExceeded"}, "Deployment/shop/web: ProgressDeadlineExceeded"},
	}
	for _, tt := range tests {
		if got := tt.f.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func deployment(gen, observed int64, conds ...appsv1.DeploymentCondition) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Generation: gen},
		Status:     appsv1.DeploymentStatus{ObservedGeneration: observed, Conditions: conds},
	}
}

func TestDeploymentFailure(t *testing.T) {
	replicaFailure := appsv1.DeploymentCondition{
		Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate",
		Message: `pods "web-abc" is forbidden: exceeded quota: pods`,
	}
	deadline := appsv1.DeploymentCondition{
		Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
		Message: `ReplicaSet "web-abc" has timed out progressing.`,
	}
	progressing := appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated"}
	tests := []struct {
		name string
		d    *appsv1.Deployment
		want *Failure
	}{
		{name: "progressing", d: deployment(2, 2, progressing)},
		{name: "replica failure", d: deployment(2, 2, progressing, replicaFailure), want: &Failure{Object: "Deployment/shop/web", Reason: "FailedCreate", Message: replicaFailure.Message}},
		{name: "deadline", d: deployment(2, 2, deadline), want: &Failure{Object: "Deployment/shop/web", Reason: "ProgressDeadlineExceeded", Message: deadline.Message}},
		{name: "stale conditions of the previous rollout", d: deployment(3, 2, deadline, replicaFailure)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, DeploymentFailure(tt.d)); diff != "" {
				t.Errorf("DeploymentFailure() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplicaSetFailure(t *testing.T) {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Namespace: "shop"}}
	if f := ReplicaSetFailure(rs); f != nil {
		t.Errorf("healthy ReplicaSet: got %v", f)
	}
	rs.Status.Conditions = []appsv1.ReplicaSetCondition{{
		Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: "quota",
	}}
	want := &Failure{Object: "ReplicaSet/shop/web-abc", Reason: "FailedCreate", Message: "quota"}
	if diff := cmp.Diff(want, ReplicaSetFailure(rs)); diff != "" {
		t.Errorf("ReplicaSetFailure() (-want +got):\n%s", diff)
	}
}

func TestStatusFailure(t *testing.T) {
	job := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "batch/v1", "kind": "Job",
		"metadata": map[string]any{"name": "migrate", "namespace": "shop", "generation": int64(1)},
		"spec":     map[string]any{"completions": int64(1)},
		"status": map[string]any{
			"observedGeneration": int64(1), "failed": int64(3),
			"conditions": []any{map[string]any{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}},
		},
	}}
	res, err := status.Compute(job)
	if err != nil {
		t.Fatal(err)
	}
	got := StatusFailure(job, res)
	if got == nil || got.Object != "Job/shop/migrate" || got.Reason == "" {
		t.Fatalf("StatusFailure() = %#v, want a failure of Job/shop/migrate", got)
	}
	if f := StatusFailure(job, &status.Result{Status: status.InProgressStatus}); f != nil {
		t.Errorf("InProgress: got %v", f)
	}
}
