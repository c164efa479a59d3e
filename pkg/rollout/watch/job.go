package watch

import (
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// JobFailure fails a Job of the release as soon as one of its pods failed
// (phase Failed), naming that pod, its container and how it ended. A pod
// that failed is the restartPolicy: Never form of a crash: with
// restartPolicy: OnFailure the same program shows CrashLoopBackOff, which
// fails at once too, so waiting for the Job's backoffLimit (minutes, with
// its exponential back-off) or its activeDeadlineSeconds would only delay
// the undo. A Job that completed is healthy whatever its earlier pods did.
// pods are the Job's own.
func JobFailure(job *unstructured.Unstructured, pods []*corev1.Pod) *Failure {
	if jobComplete(job) {
		return nil
	}
	var failed []*corev1.Pod
	for _, p := range pods {
		if p.Status.Phase == corev1.PodFailed {
			failed = append(failed, p)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	slices.SortFunc(failed, func(a, b *corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	return failedPod(job, failed[0], len(failed))
}

// failedPod describes the first failed pod of a Job: its first container
// that terminated with a non-zero exit code, else the pod's own reason.
func failedPod(job *unstructured.Unstructured, p *corev1.Pod, n int) *Failure {
	f := &Failure{Object: objectID("Pod", p.Namespace, p.Name), Reason: orDefault(p.Status.Reason, string(corev1.PodFailed)), Message: p.Status.Message}
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range list {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				f.Container, f.Reason = cs.Name, orDefault(t.Reason, "Error")
				f.Message = fmt.Sprintf("exit code %d", t.ExitCode)
				if t.Message != "" {
					f.Message += ": " + t.Message
				}
				break
			}
		}
		if f.Container != "" {
			break
		}
	}
	f.Message = joinMessage(f.Message, fmt.Sprintf("%d pod(s) of %s failed", n, objectID("Job", job.GetNamespace(), job.GetName())))
	return f
}

func joinMessage(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func jobComplete(u *unstructured.Unstructured) bool {
	var job batchv1.Job
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &job); err != nil {
		return false
	}
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
