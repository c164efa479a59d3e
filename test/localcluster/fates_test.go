package localcluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// deployment returns a Deployment whose pods carry podLabels (a fate) and
// podAnnotations.
func deployment(name string, replicas int32, podLabels, podAnnotations map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	for k, v := range podLabels {
		labels[k] = v
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: podAnnotations},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "app", Image: "registry.local/" + name + ":1"},
				}},
			},
		},
	}
}

func createDeployment(t *testing.T, client kubernetes.Interface, ns string, d *appsv1.Deployment) {
	t.Helper()
	if _, err := client.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("Deployment/%s/%s: %v", ns, d.Name, err)
	}
}

func TestDeploymentBecomesAvailable(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "available")
	createDeployment(t, client, ns, deployment("web", 3, nil, nil))

	eventually(t, "Deployment web to be Available with 3 replicas", func(ctx context.Context) (bool, string, error) {
		d, err := client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		ok := d.Status.AvailableReplicas == 3 && deploymentCondition(d, appsv1.DeploymentAvailable) == "True"
		return ok, fmt.Sprintf("%d/3 available", d.Status.AvailableReplicas), nil
	})
	out := kubectl(t, "--kubeconfig", c.Kubeconfig, "--context", c.Context, "-n", ns,
		"rollout", "status", "deployment/web", "--timeout="+wait().String())
	if !strings.Contains(out, "successfully rolled out") {
		t.Errorf("kubectl rollout status: %s", out)
	}
	for _, pod := range pods(t, client, ns, "app=web") {
		if pod.Status.PodIP == "" || pod.Status.HostIP == "" || pod.Status.ContainerStatuses[0].State.Running == nil {
			t.Errorf("Pod/%s/%s: want a pod IP, a host IP and a running container, got %+v", ns, pod.Name, pod.Status)
		}
	}

	// Scaling down deletes pods; kwok must confirm their deletion.
	if _, err := client.AppsV1().Deployments(ns).Patch(t.Context(), "web", "application/merge-patch+json",
		[]byte(`{"spec":{"replicas":1}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "scale-down to 1 pod", func(ctx context.Context) (bool, string, error) {
		n := len(pods(t, client, ns, "app=web"))
		return n == 1, fmt.Sprintf("%d pods", n), nil
	})
}

func TestReadyDelay(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "ready-delay")
	w, err := client.CoreV1().Pods(ns).Watch(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	createDeployment(t, client, ns, deployment("slow", 1, nil, map[string]string{localcluster.ReadyDelayAnnotation: "2s"}))

	// Every update arrives through the watch, so both states are seen.
	var seen []string
	waitWatch(t, w, "a slow pod to become Ready", func(pod *corev1.Pod) bool {
		if len(pod.Status.ContainerStatuses) > 0 {
			if waiting := pod.Status.ContainerStatuses[0].State.Waiting; waiting != nil {
				seen = appendNew(seen, waiting.Reason)
			}
		}
		if podReady(pod) {
			seen = append(seen, "Ready")
			return true
		}
		return false
	})
	if got := strings.Join(seen, ","); got != "ContainerCreating,Ready" {
		t.Errorf("states seen: %s, want ContainerCreating,Ready", got)
	}
}

func TestCrashLoop(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "crashloop")
	d := deployment("crash", 2, map[string]string{localcluster.FateLabel: localcluster.FateCrashLoop}, nil)
	d.Spec.ProgressDeadlineSeconds = ptr.To[int32](5)
	createDeployment(t, client, ns, d)

	eventually(t, "ProgressDeadlineExceeded", func(ctx context.Context) (bool, string, error) {
		got, err := client.AppsV1().Deployments(ns).Get(ctx, "crash", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		reason := deploymentReason(got, appsv1.DeploymentProgressing)
		return reason == "ProgressDeadlineExceeded", reason, nil
	})
	for _, pod := range pods(t, client, ns, "app=crash") {
		checkCrashing(t, &pod, "Error", 1)
	}
	checkRestartsRise(t, client, ns, "app=crash")
}

func TestOOM(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "oom")
	pod := createPod(t, client, ns, "hog", map[string]string{localcluster.FateLabel: localcluster.FateOOM, "app": "hog"})
	eventually(t, "an OOMKilled restart", func(ctx context.Context) (bool, string, error) {
		got, err := client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil || len(got.Status.ContainerStatuses) == 0 {
			return false, "no container status", err
		}
		return got.Status.ContainerStatuses[0].LastTerminationState.Terminated != nil, string(got.Status.Phase), nil
	})
	got, err := client.CoreV1().Pods(ns).Get(t.Context(), pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkCrashing(t, got, "OOMKilled", 137)
	checkRestartsRise(t, client, ns, "app=hog")
}

func TestNeverReady(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "never-ready")
	pod := createPod(t, client, ns, "stuck", map[string]string{localcluster.FateLabel: localcluster.FateNeverReady})
	eventually(t, "a Running pod", func(ctx context.Context) (bool, string, error) {
		got, err := client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return got.Status.Phase == corev1.PodRunning, string(got.Status.Phase), nil
	})
	// "For ever" cannot be tested; a few seconds shows no stage makes it Ready.
	time.Sleep(3 * time.Second)
	got, err := client.CoreV1().Pods(ns).Get(t.Context(), pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs := got.Status.ContainerStatuses
	if podReady(got) || len(cs) != 1 || cs[0].Ready || cs[0].State.Running == nil {
		t.Errorf("want Running, not Ready, container running and not ready; got %+v", got.Status)
	}
}

func TestImagePull(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "image-pull")
	w, err := client.CoreV1().Pods(ns).Watch(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	createPod(t, client, ns, "missing-image", map[string]string{localcluster.FateLabel: localcluster.FateImagePull})

	var seen []string
	waitWatch(t, w, "ImagePullBackOff", func(pod *corev1.Pod) bool {
		if pod.Status.Phase != corev1.PodPending {
			t.Fatalf("phase %s, want Pending throughout", pod.Status.Phase)
		}
		if len(pod.Status.ContainerStatuses) == 0 || pod.Status.ContainerStatuses[0].State.Waiting == nil {
			return false
		}
		reason := pod.Status.ContainerStatuses[0].State.Waiting.Reason
		seen = appendNew(seen, reason)
		return reason == "ImagePullBackOff"
	})
	if got := strings.Join(seen, ","); got != "ErrImagePull,ImagePullBackOff" {
		t.Errorf("waiting reasons seen: %s, want ErrImagePull,ImagePullBackOff", got)
	}
}

func TestJobCompletes(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "job")
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "migrate"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "migrate", Image: "registry.local/migrate:1"}},
		}}},
	}
	if _, err := client.BatchV1().Jobs(ns).Create(t.Context(), job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Job migrate to complete", func(ctx context.Context) (bool, string, error) {
		got, err := client.BatchV1().Jobs(ns).Get(ctx, "migrate", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == batchv1.JobComplete && cond.Status == corev1.ConditionTrue {
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("succeeded=%d", got.Status.Succeeded), nil
	})
}

func TestUserKubeconfigIsRestricted(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	ns := c.Namespace(t, "rbac")
	path := c.UserKubeconfig(t, "alice", "developers")
	out, err := kubectlErr(t, "--kubeconfig", path, "-n", ns, "get", "pods")
	if err == nil || !strings.Contains(out, `User "alice" cannot list resource "pods"`) {
		t.Fatalf("before RoleBinding: err %v, output %q; want forbidden", err, out)
	}
	kubectl(t, "--kubeconfig", c.Kubeconfig, "-n", ns, "create", "rolebinding", "devs-view",
		"--clusterrole=view", "--group=developers")
	eventually(t, "RBAC to allow alice", func(ctx context.Context) (bool, string, error) {
		out, err := kubectlErr(t, "--kubeconfig", path, "-n", ns, "get", "pods")
		return err == nil, out, nil
	})
}

func kubectlErr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := execKubectl(t.Context(), args...)
	return out, err
}

func checkCrashing(t *testing.T, pod *corev1.Pod, reason string, exitCode int32) {
	t.Helper()
	if pod.Status.Phase != corev1.PodRunning || podReady(pod) {
		t.Errorf("Pod/%s: phase %s ready %t, want Running and not Ready", pod.Name, pod.Status.Phase, podReady(pod))
	}
	for _, cs := range pod.Status.ContainerStatuses {
		waiting, last := cs.State.Waiting, cs.LastTerminationState.Terminated
		if waiting == nil || waiting.Reason != "CrashLoopBackOff" {
			t.Errorf("Pod/%s container %s: state %+v, want waiting CrashLoopBackOff", pod.Name, cs.Name, cs.State)
		}
		if last == nil || last.Reason != reason || last.ExitCode != exitCode {
			t.Errorf("Pod/%s container %s: last state %+v, want terminated %s exit code %d",
				pod.Name, cs.Name, cs.LastTerminationState, reason, exitCode)
		}
	}
}

// checkRestartsRise waits until the first matching pod's restartCount goes
// past what it is now.
func checkRestartsRise(t *testing.T, client kubernetes.Interface, ns, selector string) {
	t.Helper()
	first := pods(t, client, ns, selector)[0]
	before := first.Status.ContainerStatuses[0].RestartCount
	eventually(t, fmt.Sprintf("restartCount of Pod/%s to rise past %d", first.Name, before), func(ctx context.Context) (bool, string, error) {
		got, err := client.CoreV1().Pods(ns).Get(ctx, first.Name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		n := got.Status.ContainerStatuses[0].RestartCount
		return n > before, fmt.Sprintf("restartCount %d", n), nil
	})
}

func pods(t *testing.T, client kubernetes.Interface, ns, selector string) []corev1.Pod {
	t.Helper()
	list, err := client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	var live []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			live = append(live, p)
		}
	}
	return live
}

func deploymentCondition(d *appsv1.Deployment, typ appsv1.DeploymentConditionType) corev1.ConditionStatus {
	for _, c := range d.Status.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return ""
}

func deploymentReason(d *appsv1.Deployment, typ appsv1.DeploymentConditionType) string {
	for _, c := range d.Status.Conditions {
		if c.Type == typ {
			return c.Reason
		}
	}
	return ""
}

// appendNew appends s unless it repeats the last element: a state seen in
// several updates in a row counts once.
func appendNew(seen []string, s string) []string {
	if len(seen) > 0 && seen[len(seen)-1] == s {
		return seen
	}
	return append(seen, s)
}

// waitWatch reads pod events until done returns true.
func waitWatch(t *testing.T, w watch.Interface, what string, done func(*corev1.Pod) bool) {
	t.Helper()
	timeout := time.After(wait())
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed while waiting for %s", what)
			}
			if pod, isPod := ev.Object.(*corev1.Pod); isPod && done(pod) {
				return
			}
		case <-timeout:
			t.Fatalf("timed out after %s waiting for %s", wait(), what)
		}
	}
}

// An image whose tag ends in a fate (…:2.0.0-crashloop, also before a
// digest) has that fate, so a bad release can be an artifact that promotion
// carries from one environment to the next, as in real life.
func TestFateFromImageTag(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "imagefate")
	bad := deployment("bad", 1, nil, nil)
	bad.Spec.Template.Spec.Containers[0].Image = "registry.local/bad:2.0.0-crashloop@sha256:" + strings.Repeat("ab", 32)
	createDeployment(t, client, ns, bad)
	good := deployment("good", 1, nil, nil)
	good.Spec.Template.Spec.Containers[0].Image = "registry.local/crashloop-free:2.0.0"
	createDeployment(t, client, ns, good)
	eventually(t, "the crashloop-tagged pod to crash", func(ctx context.Context) (bool, string, error) {
		list := pods(t, client, ns, "app=bad")
		if len(list) == 0 || len(list[0].Status.ContainerStatuses) == 0 {
			return false, "no container status", nil
		}
		w := list[0].Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == "CrashLoopBackOff", fmt.Sprint(list[0].Status.ContainerStatuses[0].State), nil
	})
	eventually(t, "the other pod to be Ready", func(ctx context.Context) (bool, string, error) {
		list := pods(t, client, ns, "app=good")
		return len(list) == 1 && podReady(&list[0]), "not ready", nil
	})
}

// A late-crash pod is Ready first, then crashes after its crash-after delay.
func TestLateCrash(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	client, ns := clientset(t, c), c.Namespace(t, "latecrash")
	d := deployment("late", 1, nil, map[string]string{localcluster.CrashAfterAnnotation: "3s"})
	d.Spec.Template.Spec.Containers[0].Image = "registry.local/late:2.0.0-late-crash"
	createDeployment(t, client, ns, d)
	var seen []string
	eventually(t, "Ready, then CrashLoopBackOff", func(ctx context.Context) (bool, string, error) {
		list := pods(t, client, ns, "app=late")
		if len(list) == 0 {
			return false, "no pod", nil
		}
		if podReady(&list[0]) {
			seen = appendNew(seen, "Ready")
		}
		for _, cs := range list[0].Status.ContainerStatuses {
			if cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff" {
				seen = appendNew(seen, "CrashLoopBackOff")
			}
		}
		return len(seen) == 2, strings.Join(seen, ","), nil
	})
	if got := strings.Join(seen, ","); got != "Ready,CrashLoopBackOff" {
		t.Errorf("states seen: %s, want Ready,CrashLoopBackOff", got)
	}
}
