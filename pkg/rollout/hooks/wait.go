package hooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// doneFunc looks at a hook once: done, and why it failed if it did.
type doneFunc func(ctx context.Context, now time.Time) (bool, error)

// poll calls done every Poll until it is done or the hook's time is up.
func (r *Runner) poll(ctx context.Context, id, state string, done doneFunc) error {
	for {
		ok, err := done(ctx, r.Clock.Now())
		if ok || (err != nil && ctx.Err() == nil) {
			return err
		}
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return ctx.Err()
			}
			return &watch.Failure{Object: id, Reason: watch.ReasonTimeout, Message: fmt.Sprintf("not %s after %s", state, r.Timeout), Observed: r.Clock.Now()}
		case <-time.After(r.Poll):
		}
	}
}

// podDone: a Pod hook is done when it succeeded, as in `helm test`, and
// fails when it failed or on the watch's pod rules.
func (r *Runner) podDone(ns, name string) doneFunc {
	return func(ctx context.Context, now time.Time) (bool, error) {
		pod, err := r.Clients.Typed.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%s: %w", "Pod/"+ns+"/"+name, err)
		}
		return podOutcome(pod, r.Pod, now)
	}
}

// jobDone: a Job hook is done when it completed, and fails on the
// watch's rules: its first failed pod (watch.JobFailure), a crash-looping
// or otherwise failing pod (watch.PodFailure), the Job's own Failed
// condition.
func (r *Runner) jobDone(ns, name string) doneFunc {
	return func(ctx context.Context, now time.Time) (bool, error) {
		id := "Job/" + ns + "/" + name
		job, err := r.Clients.Typed.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("%s: %w", id, err)
		}
		if cond(job, batchv1.JobComplete) != nil {
			return true, nil
		}
		pods, err := r.jobPods(ctx, job)
		if err != nil {
			return false, fmt.Errorf("%s: %w", id, err)
		}
		if f := r.jobFailure(job, pods, now); f != nil {
			f.Observed = now
			return true, f
		}
		return false, nil
	}
}

func (r *Runner) jobFailure(job *batchv1.Job, pods []*corev1.Pod, now time.Time) *watch.Failure {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(job)
	if err == nil {
		if f := watch.JobFailure(unstructuredOf(u), pods); f != nil {
			return f
		}
	}
	for _, p := range pods {
		if f := watch.PodFailure(p, r.Pod, now); f != nil {
			return f
		}
	}
	if c := cond(job, batchv1.JobFailed); c != nil {
		return &watch.Failure{Object: "Job/" + job.Namespace + "/" + job.Name, Reason: c.Reason, Message: c.Message}
	}
	return nil
}

// jobPods are the pods job created.
func (r *Runner) jobPods(ctx context.Context, job *batchv1.Job) ([]*corev1.Pod, error) {
	list, err := r.Clients.Typed.CoreV1().Pods(job.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: batchv1.ControllerUidLabel + "=" + string(job.UID),
	})
	if err != nil {
		return nil, err
	}
	var out []*corev1.Pod
	for i := range list.Items {
		if metav1.IsControlledBy(&list.Items[i], job) {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

func cond(job *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i, c := range job.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return &job.Status.Conditions[i]
		}
	}
	return nil
}

// podOutcome tells whether a Pod hook is done and, if it failed, why.
func podOutcome(pod *corev1.Pod, o watch.Options, now time.Time) (bool, error) {
	id := "Pod/" + pod.Namespace + "/" + pod.Name
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		return true, nil
	case corev1.PodFailed:
		f := &watch.Failure{Object: id, Reason: string(corev1.PodFailed), Message: pod.Status.Message, Observed: now}
		for _, cs := range pod.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				f.Container, f.Reason, f.Message = cs.Name, t.Reason, fmt.Sprintf("exit code %d", t.ExitCode)
				break
			}
		}
		return true, f
	}
	if f := watch.PodFailure(pod, o, now); f != nil {
		f.Observed = now
		return true, f
	}
	return false, nil
}

// deleteAndWait deletes the object of res and waits until it is gone, so
// that a Job of the same name can be created again.
func (r *Runner) deleteAndWait(ctx context.Context, m *diff.Manager, res diff.Resource) error {
	live, err := m.Get(ctx, res)
	if err != nil || live == nil {
		return err
	}
	if err := m.Delete(ctx, res, live); err != nil {
		return err
	}
	r.Emit("hook", "deleted %s, waiting until it is gone", res.Ref)
	for {
		live, err := m.Get(ctx, res)
		if err != nil || live == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: still there after it was deleted: %w", res.Ref, ctx.Err())
		case <-time.After(r.Poll):
		}
	}
}

func unstructuredOf(m map[string]interface{}) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: m}
}
