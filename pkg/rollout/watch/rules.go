package watch

import (
	"fmt"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// failingWaitingReasons are the reasons a container waits for that do not
// fix themselves: the kubelet keeps retrying, but the next try fails the
// same way.
var failingWaitingReasons = map[string]bool{
	"CrashLoopBackOff":           true,
	"ImagePullBackOff":           true,
	"ErrImagePull":               true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
	"InvalidImageName":           true,
}

// IsFailingWaitingReason reports whether a container waiting for reason
// fails the rollout.
func IsFailingWaitingReason(reason string) bool { return failingWaitingReasons[reason] }

// PodFailure applies the pod rules to one observed status of pod: a failing
// waiting reason, an OOMKilled container, more restarts than RestartLimit,
// PodScheduled=False/Unschedulable for longer than UnschedulableGrace
// (measured from the condition's lastTransitionTime). Init containers are
// checked before the others. It never looks at the Ready bit. Zero fields of
// o take the defaults.
func PodFailure(pod *corev1.Pod, o Options, now time.Time) *Failure {
	return podFailure(pod, o.withDefaults(), now, nil)
}

// podFailure is PodFailure with what the watch remembers about the pod:
// restart counts when it first saw a pod that already existed (only
// restarts since then count) and when it first saw it unschedulable.
func podFailure(pod *corev1.Pod, o Options, now time.Time, f *podFacts) *Failure {
	id := objectID("Pod", pod.Namespace, pod.Name)
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for i := range list {
			if fail := containerFailure(&list[i], o, f.baseline(list[i].Name)); fail != nil {
				fail.Object = id
				return fail
			}
		}
	}
	return unschedulable(pod, o, now, f.unschedulableSince())
}

func containerFailure(cs *corev1.ContainerStatus, o Options, baseline int32) *Failure {
	fail := func(reason, msg string) *Failure {
		return &Failure{Container: cs.Name, Reason: reason, Message: msg}
	}
	if t := cs.State.Terminated; t != nil && t.Reason == ReasonOOMKilled {
		return fail(ReasonOOMKilled, terminatedMessage(t, cs.RestartCount))
	}
	// A lastState from before the watch began is history, not this rollout.
	if t := cs.LastTerminationState.Terminated; t != nil && t.Reason == ReasonOOMKilled && cs.RestartCount > baseline {
		return fail(ReasonOOMKilled, terminatedMessage(t, cs.RestartCount))
	}
	if w := cs.State.Waiting; w != nil && IsFailingWaitingReason(w.Reason) {
		return fail(w.Reason, w.Message)
	}
	if o.RestartLimit >= 0 && cs.RestartCount-baseline > int32(o.RestartLimit) {
		msg := fmt.Sprintf("restarted %d times (limit %d)", cs.RestartCount-baseline, o.RestartLimit)
		if t := cs.LastTerminationState.Terminated; t != nil {
			msg += fmt.Sprintf("; last exit: %s, code %d", t.Reason, t.ExitCode)
		}
		return fail(ReasonRestartLimit, msg)
	}
	return nil
}

func terminatedMessage(t *corev1.ContainerStateTerminated, restarts int32) string {
	msg := fmt.Sprintf("exit code %d, restarted %d times", t.ExitCode, restarts)
	if t.Message != "" {
		msg += ": " + t.Message
	}
	return msg
}

// unschedulable fails a pod whose PodScheduled condition has been False
// with reason Unschedulable for longer than the grace.
func unschedulable(pod *corev1.Pod, o Options, now, firstSeen time.Time) *Failure {
	c := unschedulableCondition(pod, o)
	if c == nil || now.Sub(graceStart(c, now, firstSeen)) <= o.UnschedulableGrace {
		return nil
	}
	return &Failure{
		Object:  objectID("Pod", pod.Namespace, pod.Name),
		Reason:  ReasonUnschedulable,
		Message: fmt.Sprintf("unschedulable for more than %s: %s", o.UnschedulableGrace, c.Message),
	}
}

// unschedulableAt is when an unschedulable pod's grace runs out, or zero.
func unschedulableAt(pod *corev1.Pod, o Options, now, firstSeen time.Time) time.Time {
	c := unschedulableCondition(pod, o)
	if c == nil {
		return time.Time{}
	}
	return graceStart(c, now, firstSeen).Add(o.UnschedulableGrace + time.Millisecond)
}

// unschedulableCondition is pod's PodScheduled=False/Unschedulable
// condition, or nil (also when the rule is off).
func unschedulableCondition(pod *corev1.Pod, o Options) *corev1.PodCondition {
	c := podCondition(pod, corev1.PodScheduled)
	if o.UnschedulableGrace < 0 || c == nil || c.Status != corev1.ConditionFalse || c.Reason != corev1.PodReasonUnschedulable {
		return nil
	}
	return c
}

// graceStart is the condition's lastTransitionTime; when it is missing or
// in the future (clock skew), when the watch first saw it; else now.
func graceStart(c *corev1.PodCondition, now, firstSeen time.Time) time.Time {
	switch since := c.LastTransitionTime.Time; {
	case !since.IsZero() && !since.After(now):
		return since
	case !firstSeen.IsZero():
		return firstSeen
	default:
		return now
	}
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// DeploymentFailure reports a Deployment whose controller says the rollout
// cannot succeed: ReplicaFailure=True (FailedCreate: quota, admission…) or
// Progressing=False with ProgressDeadlineExceeded. Conditions are trusted
// only once the controller has observed the current generation; before
// that they describe the previous rollout.
func DeploymentFailure(d *appsv1.Deployment) *Failure {
	if d.Status.ObservedGeneration < d.Generation {
		return nil
	}
	id := objectID("Deployment", d.Namespace, d.Name)
	for _, c := range d.Status.Conditions {
		switch {
		case c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue:
			return &Failure{Object: id, Reason: orDefault(c.Reason, string(c.Type)), Message: c.Message}
		case c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == ReasonProgressDeadline:
			return &Failure{Object: id, Reason: c.Reason, Message: c.Message}
		}
	}
	return nil
}

// ReplicaSetFailure reports a ReplicaSet that cannot create its pods
// (ReplicaFailure=True, reason FailedCreate). The Deployment controller
// copies the condition to the Deployment later; reading it here is faster.
func ReplicaSetFailure(rs *appsv1.ReplicaSet) *Failure {
	for _, c := range rs.Status.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return &Failure{
				Object: objectID("ReplicaSet", rs.Namespace, rs.Name),
				Reason: orDefault(c.Reason, string(c.Type)), Message: c.Message,
			}
		}
	}
	return nil
}

// StatusFailure turns kstatus's Failed (a failed Job, a stalled custom
// resource, …) into a Failure whose reason is the Stalled condition's.
func StatusFailure(obj *unstructured.Unstructured, res *status.Result) *Failure {
	if res == nil || res.Status != status.FailedStatus {
		return nil
	}
	reason := string(status.FailedStatus)
	for _, c := range res.Conditions {
		if c.Type == status.ConditionStalled && c.Reason != "" {
			reason = c.Reason
		}
	}
	return &Failure{Object: objectID(obj.GetKind(), obj.GetNamespace(), obj.GetName()), Reason: reason, Message: res.Message}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// objectID names an object the way errors and events do.
func objectID(kind, namespace, name string) string {
	if namespace == "" {
		return kind + "/" + name
	}
	return kind + "/" + namespace + "/" + name
}
