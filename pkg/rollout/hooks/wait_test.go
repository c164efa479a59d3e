package hooks

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

func pod(phase corev1.PodPhase, cs ...corev1.ContainerStatus) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"},
		Status:     corev1.PodStatus{Phase: phase, ContainerStatuses: cs},
	}
}

func waiting(reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: "c", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

func exited(code int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: "c", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: "Error"}}}
}

// TestPodOutcome: a Pod hook is done when it succeeded, and fails when it
// failed or on the watch's pod rules.
func TestPodOutcome(t *testing.T) {
	for _, c := range []struct {
		name string
		pod  *corev1.Pod
		done bool
		want *watch.Failure
	}{
		{"pending", pod(corev1.PodPending), false, nil},
		{"running", pod(corev1.PodRunning, corev1.ContainerStatus{Name: "c", Ready: true}), false, nil},
		{"succeeded", pod(corev1.PodSucceeded, exited(0)), true, nil},
		{"failed", pod(corev1.PodFailed, exited(3)), true, &watch.Failure{Object: "Pod/ns/p", Container: "c", Reason: "Error", Message: "exit code 3"}},
		{"crash loop", pod(corev1.PodRunning, waiting("CrashLoopBackOff")), true, &watch.Failure{Object: "Pod/ns/p", Container: "c", Reason: "CrashLoopBackOff"}},
		{"image pull", pod(corev1.PodPending, waiting("ImagePullBackOff")), true, &watch.Failure{Object: "Pod/ns/p", Container: "c", Reason: "ImagePullBackOff"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			done, err := podOutcome(c.pod, watch.Options{}, time.Unix(0, 0))
			var got *watch.Failure
			if err != nil {
				got = err.(*watch.Failure)
			}
			if done != c.done {
				t.Errorf("done = %v, want %v", done, c.done)
			}
			if diff := cmp.Diff(c.want, got, cmpopts.IgnoreFields(watch.Failure{}, "Observed", "Message")); diff != "" {
				t.Errorf("failure (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJobFailure: a Job hook fails on its first failed pod, on a failing
// pod, or on its own Failed condition; a running Job has not failed.
func TestJobFailure(t *testing.T) {
	job := func(conds ...batchv1.JobCondition) *batchv1.Job {
		return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "j"}, Status: batchv1.JobStatus{Conditions: conds}}
	}
	failedCond := batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "DeadlineExceeded"}
	r := &Runner{}
	for _, c := range []struct {
		name   string
		job    *batchv1.Job
		pods   []*corev1.Pod
		reason string
	}{
		{"running", job(), []*corev1.Pod{pod(corev1.PodRunning)}, ""},
		{"failed pod", job(), []*corev1.Pod{pod(corev1.PodFailed, exited(1))}, "Error"},
		{"crash-looping pod", job(), []*corev1.Pod{pod(corev1.PodRunning, waiting("CrashLoopBackOff"))}, "CrashLoopBackOff"},
		{"failed condition", job(failedCond), nil, "DeadlineExceeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := r.jobFailure(c.job, c.pods, time.Unix(0, 0))
			got := ""
			if f != nil {
				got = f.Reason
			}
			if got != c.reason {
				t.Errorf("reason %q, want %q (%v)", got, c.reason, f)
			}
		})
	}
}
