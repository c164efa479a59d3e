package watch

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// t0 is the fake clock's start in every pure test.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// podOpt changes a constructed pod.
type podOpt func(*corev1.Pod)

// newPod builds a Running, Ready pod "web-1" in "shop" with one container
// "web", then applies opts.
func newPod(opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", UID: "uid-web-1"},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue},
			},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "web", Ready: true,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
			}},
		},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func named(name string) podOpt {
	return func(p *corev1.Pod) { p.Name, p.UID = name, types.UID("uid-"+name) }
}

func ownedBy(uid types.UID, labels map[string]string) podOpt {
	return func(p *corev1.Pod) {
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{UID: uid, Controller: &yes, Name: "owner"}}
		p.Labels = labels
	}
}

// ready sets the Ready bit of the pod and of its container.
func ready(r bool) podOpt {
	return func(p *corev1.Pod) {
		s := corev1.ConditionFalse
		if r {
			s = corev1.ConditionTrue
		}
		p.Status.Conditions[1].Status = s
		p.Status.ContainerStatuses[0].Ready = r
	}
}

func waiting(reason, msg string) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
		p.Status.ContainerStatuses[0].Ready = false
	}
}

func initWaiting(reason, msg string) podOpt {
	return func(p *corev1.Pod) {
		p.Status.InitContainerStatuses = []corev1.ContainerStatus{{
			Name:  "migrate",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}},
		}}
	}
}

func restarts(n int32) podOpt {
	return func(p *corev1.Pod) { p.Status.ContainerStatuses[0].RestartCount = n }
}

func lastTerminated(reason string, code int32) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code},
		}
	}
}

func terminated(reason string, code int32) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code},
		}
	}
}

// unschedulableSince makes the pod Pending and unschedulable since t
// (zero: a condition without lastTransitionTime).
func unschedulableSince(t time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.ContainerStatuses = nil
		p.Status.Conditions = []corev1.PodCondition{
			{
				Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
				Message: "0/3 nodes are available: 3 Insufficient cpu.", LastTransitionTime: metav1.NewTime(t),
			},
			{Type: corev1.PodReady, Status: corev1.ConditionFalse},
		}
	}
}
