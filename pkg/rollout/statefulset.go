package rollout

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// StatefulSetRollbackOptions tune FinishStatefulSetRollbacks.
type StatefulSetRollbackOptions struct {
	// Interval is how often the StatefulSet is read while waiting for its
	// controller to observe the reverted template (default 250ms).
	Interval time.Duration
	// Emit reports each deleted pod; nil reports nothing.
	Emit func(phase, format string, args ...any)
}

// DefaultStatefulSetRollbackInterval is StatefulSetRollbackOptions.Interval's default.
const DefaultStatefulSetRollbackInterval = 250 * time.Millisecond

// PodRollback is one pod FinishStatefulSetRollbacks deletes so that the
// controller recreates it on the StatefulSet's update revision.
type PodRollback struct {
	// Name is the pod's name, <statefulset>-<ordinal>.
	Name string
	// Ordinal is its ordinal.
	Ordinal int
}

// PlanStatefulSetRollback decides which pods of a StatefulSet whose
// template was reverted must be deleted, and in which order, for the old
// revision to come back. The StatefulSet controller never replaces a pod of
// another revision that is not Ready (Kubernetes' "forced rollback" case):
// it waits for it forever. So every pod of a revision other than
// updateRevision that is not Ready and whose ordinal is at or above the
// partition (pods below it were never part of the rollout) goes, highest
// ordinal first, as the controller rolls. Ready pods are the controller's
// to replace. Pods already being deleted, and pods whose name does not end
// in an ordinal, are left alone. OnDelete StatefulSets never get here
// (RefuseOnDeleteStatefulSets). The StatefulSet must be observed at its
// current generation (otherwise updateRevision is still the failed one);
// the caller checks that.
func PlanStatefulSetRollback(sts *appsv1.StatefulSet, pods []*corev1.Pod) []PodRollback {
	update := sts.Status.UpdateRevision
	partition := 0
	if ru := sts.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		partition = int(*ru.Partition)
	}
	var plan []PodRollback
	for _, p := range pods {
		ordinal, ok := podOrdinal(sts.Name, p.Name)
		if !ok || p.DeletionTimestamp != nil || update == "" || p.Labels[appsv1.ControllerRevisionHashLabelKey] == update ||
			ordinal < partition || podReady(p) {
			continue
		}
		plan = append(plan, PodRollback{Name: p.Name, Ordinal: ordinal})
	}
	slices.SortFunc(plan, func(a, b PodRollback) int { return cmp.Compare(b.Ordinal, a.Ordinal) })
	return plan
}

// podOrdinal parses the ordinal of a StatefulSet's pod name.
func podOrdinal(set, pod string) (int, bool) {
	rest, ok := strings.CutPrefix(pod, set+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// FinishStatefulSetRollbacks finishes the rollback of every StatefulSet
// among objects, which an undo has just re-applied with the previous
// template: it waits for the controller to observe the reverted template,
// then deletes the pods PlanStatefulSetRollback names, so the controller
// recreates them on the previous revision. It does not wait for the
// StatefulSet to be healthy again: the undo's watch does, and the undo
// calls this again while it watches (a pod Ready now may crash later).
func FinishStatefulSetRollbacks(ctx context.Context, c *kube.Clients, objects []*unstructured.Unstructured, o StatefulSetRollbackOptions) error {
	if o.Interval <= 0 {
		o.Interval = DefaultStatefulSetRollbackInterval
	}
	for _, u := range objects {
		if gvk := u.GroupVersionKind(); gvk.Group != "apps" || gvk.Kind != "StatefulSet" {
			continue
		}
		if err := finishStatefulSet(ctx, c, u.GetNamespace(), u.GetName(), o); err != nil {
			return fmt.Errorf("%s: %w", kube.RefOf(u), err)
		}
	}
	return nil
}

func finishStatefulSet(ctx context.Context, c *kube.Clients, ns, name string, o StatefulSetRollbackOptions) error {
	sts, err := observedStatefulSet(ctx, c, ns, name, o.Interval)
	if err != nil {
		return err
	}
	pods, err := statefulSetPods(ctx, c, sts)
	if err != nil {
		return err
	}
	for _, step := range PlanStatefulSetRollback(sts, pods) {
		if err := deletePod(ctx, c, ns, step.Name); err != nil {
			return err
		}
		if o.Emit != nil {
			o.Emit("undo", "StatefulSet/%s/%s: deleted pod %s, to be recreated on revision %s", ns, name, step.Name, sts.Status.UpdateRevision)
		}
	}
	return nil
}

// observedStatefulSet reads the StatefulSet once its controller has
// observed its current generation, so updateRevision is the reverted one.
func observedStatefulSet(ctx context.Context, c *kube.Clients, ns, name string, interval time.Duration) (*appsv1.StatefulSet, error) {
	var sts *appsv1.StatefulSet
	err := wait.PollUntilContextCancel(ctx, interval, true, func(ctx context.Context) (bool, error) {
		got, err := c.Typed.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("read: %w", err)
		}
		sts = got
		return got.Status.ObservedGeneration >= got.Generation && got.Status.UpdateRevision != "", nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for the controller to observe the reverted template: %w", err)
	}
	return sts, nil
}

// statefulSetPods lists the pods the StatefulSet controls.
func statefulSetPods(ctx context.Context, c *kube.Clients, sts *appsv1.StatefulSet) ([]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(sts.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector: %w", err)
	}
	list, err := c.Typed.CoreV1().Pods(sts.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	var pods []*corev1.Pod
	for i := range list.Items {
		if ref := metav1.GetControllerOf(&list.Items[i]); ref != nil && ref.UID == sts.UID {
			pods = append(pods, &list.Items[i])
		}
	}
	return pods, nil
}

func deletePod(ctx context.Context, c *kube.Clients, ns, name string) error {
	err := c.Typed.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete Pod/%s/%s: %w", ns, name, err)
	}
	return nil
}

// RefuseOnDeleteStatefulSets refuses a release holding a StatefulSet whose
// updateStrategy is OnDelete: its controller never rolls pods onto a new
// template, so there is no rollout to watch (kstatus reports it ready at
// once) and a release would "succeed" with every pod on the old template.
func RefuseOnDeleteStatefulSets(objs []*unstructured.Unstructured) error {
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		if gvk.Group != "apps" || gvk.Kind != "StatefulSet" {
			continue
		}
		if s, _, _ := unstructured.NestedString(u.Object, "spec", "updateStrategy", "type"); s == string(appsv1.OnDeleteStatefulSetStrategyType) {
			return fmt.Errorf("%s: updateStrategy OnDelete is not supported: its pods never move to a new template "+
				"by themselves, so there is no rollout to watch or undo; use RollingUpdate (with a partition "+
				"for a staged rollout)", kube.RefOf(u))
		}
	}
	return nil
}
