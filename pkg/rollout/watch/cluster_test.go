package watch_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// The cluster tests share one local control plane (localcluster.Shared),
// each in its own namespace, and never run in parallel: one of them stops
// the apiserver.
func TestMain(m *testing.M) { localcluster.Main(m) }

// budget bounds every wait of the cluster tests: $WATCH_TEST_WAIT, else
// 90s. Things happen within seconds; the margin is for a loaded machine.
func budget() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("WATCH_TEST_WAIT")); err == nil && d > 0 {
		return d
	}
	return 90 * time.Second
}

const fateLabel = "promote.test/fate"

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

// env is one test's cluster, clients and namespace.
type env struct {
	t       *testing.T
	cluster *localcluster.Cluster
	clients *kube.Clients
	ns      string
}

func setup(t *testing.T) *env {
	t.Helper()
	return setupOn(t, localcluster.Shared(t))
}

// setupOn is setup on cluster c.
func setupOn(t *testing.T, c *localcluster.Cluster) *env {
	t.Helper()
	clients, err := kube.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, cluster: c, clients: clients, ns: c.Namespace(t, "watch")}
}

// spec describes a test Deployment: app "app", one container "app".
type spec struct {
	name             string
	replicas         int32
	fate             string // promote.test/fate of its pods; "" = Ready
	readyDelay       string // promote.test/ready-delay
	progressDeadline int32  // seconds; 0 = Kubernetes' 600
	image            string // default "example.com/app:1"
}

func (s spec) deployment(ns string) *appsv1.Deployment {
	labels := map[string]string{"app": s.name}
	podLabels := map[string]string{"app": s.name}
	if s.fate != "" {
		podLabels[fateLabel] = s.fate
	}
	var ann map[string]string
	if s.readyDelay != "" {
		ann = map[string]string{"promote.test/ready-delay": s.readyDelay}
	}
	image := s.image
	if image == "" {
		image = "example.com/app:1"
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &s.replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: ann},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
			},
		},
	}
	if s.progressDeadline > 0 {
		d.Spec.ProgressDeadlineSeconds = &s.progressDeadline
	}
	return d
}

// apply server-side applies s and returns the object as applied.
func (e *env) apply(s spec) *unstructured.Unstructured {
	e.t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(s.deployment(e.ns))
	if err != nil {
		e.t.Fatal(err)
	}
	delete(m, "status")
	body, err := json.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	force := true
	u, err := e.clients.Dynamic.Resource(deploymentsGVR).Namespace(e.ns).Patch(e.t.Context(), s.name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: "watch-test", Force: &force})
	if err != nil {
		e.t.Fatalf("apply Deployment/%s/%s: %v", e.ns, s.name, err)
	}
	return u
}

// watchResult is what one Watch returned and reported.
type watchResult struct {
	err     error
	events  []watch.Event
	elapsed time.Duration
}

func (r watchResult) has(typ string) bool {
	for _, ev := range r.events {
		if ev.Type == typ {
			return true
		}
	}
	return false
}

// startWatch runs Watch in the background; the result arrives on the
// returned channel. onEvent, if set, sees each event as it comes.
func (e *env) startWatch(o watch.Options, onEvent func(watch.Event), objs ...*unstructured.Unstructured) <-chan watchResult {
	ctx, cancel := context.WithTimeout(e.t.Context(), o.Timeout+max(o.Verify, 0)+budget())
	events := make(chan watch.Event, 1024)
	out := make(chan watchResult, 1)
	collected := make(chan []watch.Event, 1)
	go func() {
		var evs []watch.Event
		for ev := range events {
			e.t.Logf("event %s %s %s %s", ev.Time.Format("15:04:05.000"), ev.Type, ev.Object, ev.Message)
			if onEvent != nil {
				onEvent(ev)
			}
			evs = append(evs, ev)
		}
		collected <- evs
	}()
	go func() {
		defer cancel()
		start := time.Now()
		err := watch.Watch(ctx, e.clients, objs, o, events)
		elapsed := time.Since(start)
		close(events)
		out <- watchResult{err: err, events: <-collected, elapsed: elapsed}
	}()
	return out
}

func (e *env) watch(o watch.Options, objs ...*unstructured.Unstructured) watchResult {
	e.t.Helper()
	r := <-e.startWatch(o, nil, objs...)
	e.t.Logf("Watch returned after %s: %v", r.elapsed.Round(time.Millisecond), r.err)
	return r
}

// fast are options that keep the tests to seconds.
func fast() watch.Options {
	return watch.Options{Timeout: budget(), Verify: 2 * time.Second}
}

// wantFailure checks that err is a *Failure of an object with the prefix
// and one of the reasons.
func wantFailure(t *testing.T, err error, prefix string, reasons ...string) *watch.Failure {
	t.Helper()
	var f *watch.Failure
	if !errors.As(err, &f) {
		t.Fatalf("Watch() = %v, want a *Failure (%s)", err, strings.Join(reasons, " or "))
	}
	if !strings.HasPrefix(f.Object, prefix) {
		t.Errorf("failure of %q, want an object %q…", f.Object, prefix)
	}
	for _, r := range reasons {
		if f.Reason == r {
			return f
		}
	}
	t.Errorf("failure reason %q (%v), want %s", f.Reason, f, strings.Join(reasons, " or "))
	return f
}

func TestClusterGoodDeployment(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.watch(fast(), e.apply(spec{name: "good", replicas: 3}))
	if r.err != nil {
		t.Fatalf("Watch() = %v, want nil", r.err)
	}
	for _, typ := range []string{watch.EventVerifying, watch.EventHealthy} {
		if !r.has(typ) {
			t.Errorf("no %q event", typ)
		}
	}
}

// TestClusterPodFailures: each bad fate fails fast on a pod, long before
// the Deployment's progress deadline (Kubernetes' default 600s here).
func TestClusterPodFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fate    string
		reasons []string
	}{
		{"crashloop", []string{"CrashLoopBackOff", watch.ReasonRestartLimit}},
		{"image-pull", []string{"ErrImagePull", "ImagePullBackOff"}},
		{"oom", []string{watch.ReasonOOMKilled}},
	}
	for _, tt := range tests {
		t.Run(tt.fate, func(t *testing.T) {
			e := setup(t)
			r := e.watch(fast(), e.apply(spec{name: tt.fate, replicas: 3, fate: tt.fate}))
			f := wantFailure(t, r.err, "Pod/"+e.ns+"/"+tt.fate+"-", tt.reasons...)
			if f.Container != "app" || f.Observed.IsZero() {
				t.Errorf("failure %#v: want container app and an observation time", f)
			}
			if !r.has(watch.EventFailure) {
				t.Errorf("no failure event")
			}
		})
	}
}

// TestClusterNeverReady: pods that run but never become Ready break no pod
// rule; the Deployment's progress deadline is the backstop, and the
// Timeout when it comes first.
func TestClusterNeverReady(t *testing.T) {
	t.Parallel()
	t.Run("progress deadline", func(t *testing.T) {
		e := setup(t)
		r := e.watch(fast(), e.apply(spec{name: "slow", replicas: 2, fate: "never-ready", progressDeadline: 3}))
		wantFailure(t, r.err, "Deployment/"+e.ns+"/slow", watch.ReasonProgressDeadline)
	})
	t.Run("timeout", func(t *testing.T) {
		e := setup(t)
		o := fast()
		o.Timeout = 3 * time.Second
		r := e.watch(o, e.apply(spec{name: "slow", replicas: 2, fate: "never-ready"}))
		f := wantFailure(t, r.err, "Deployment/"+e.ns+"/slow", watch.ReasonTimeout)
		if !strings.Contains(f.Message, "Deployment/"+e.ns+"/slow: InProgress") {
			t.Errorf("timeout message %q does not say what was not ready", f.Message)
		}
	})
}

// TestClusterRollingUpdate: only the new revision's pods count.
func TestClusterRollingUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from, to string // fates
		wantFail bool
	}{
		{name: "healthy old pods, crash-looping new pods", from: "", to: "crashloop", wantFail: true},
		{name: "crash-looping old pods, healthy new pods", from: "crashloop", to: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			first := e.watch(fast(), e.apply(spec{name: "web", replicas: 3, fate: tt.from, image: "example.com/app:1"}))
			if (first.err != nil) != (tt.from == "crashloop") {
				t.Fatalf("first release: Watch() = %v", first.err)
			}
			r := e.watch(fast(), e.apply(spec{name: "web", replicas: 3, fate: tt.to, image: "example.com/app:2"}))
			if !tt.wantFail {
				if r.err != nil {
					t.Fatalf("Watch() = %v, want nil: the crash-looping pods are the old release's", r.err)
				}
				return
			}
			f := wantFailure(t, r.err, "Pod/"+e.ns+"/web-", "CrashLoopBackOff", watch.ReasonRestartLimit)
			e.wantPodFate(f.Object, "crashloop")
		})
	}
}

// wantPodFate checks that the failing pod is one of the new template's.
func (e *env) wantPodFate(object, fate string) {
	e.t.Helper()
	name := object[strings.LastIndex(object, "/")+1:]
	p, err := e.clients.Typed.CoreV1().Pods(e.ns).Get(e.t.Context(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatalf("get failing pod: %v", err)
	}
	if p.Labels[fateLabel] != fate {
		e.t.Errorf("failing pod %s has fate %q, want %q (a pod of the new revision)", name, p.Labels[fateLabel], fate)
	}
}

// TestClusterLateCrash: a pod that crashes after the rollout is complete,
// inside the Verify window, still fails it.
func TestClusterLateCrash(t *testing.T) {
	t.Parallel()
	e := setup(t)
	o := fast()
	o.Verify = budget()
	verifying := make(chan struct{}, 1)
	res := e.startWatch(o, func(ev watch.Event) {
		if ev.Type == watch.EventVerifying {
			verifying <- struct{}{}
		}
	}, e.apply(spec{name: "late", replicas: 2}))
	select {
	case <-verifying:
	case r := <-res:
		t.Fatalf("Watch() = %v before the Verify window", r.err)
	}
	pods, err := e.clients.Typed.CoreV1().Pods(e.ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=late"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("list pods: %v (%d)", err, len(pods.Items))
	}
	victim := pods.Items[0].Name
	patch := []byte(`{"metadata":{"labels":{"` + fateLabel + `":"crashloop"}}}`)
	if _, err := e.clients.Typed.CoreV1().Pods(e.ns).Patch(t.Context(), victim, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	r := <-res
	f := wantFailure(t, r.err, "Pod/"+e.ns+"/"+victim, "CrashLoopBackOff", watch.ReasonRestartLimit)
	t.Logf("late crash caught: %v", f)
}

// TestClusterAPIServerOutage: the apiserver goes away for 10s, in the
// middle of a rollout (the watch has listed and is watching) or before the
// watch has even read the cluster's kinds; the watch reports the lost
// connection, waits, and completes without a false failure once it is back.
func TestClusterAPIServerOutage(t *testing.T) {
	t.Parallel()
	// A cluster of its own, so that the other tests run beside it.
	c := localcluster.Start(t, localcluster.Options{Name: "watch-outage"})
	for _, during := range []bool{true, false} {
		name := map[bool]string{true: "during the rollout", false: "before the watch starts"}[during]
		t.Run(name, func(t *testing.T) {
			e := setupOn(t, c)
			obj := e.apply(spec{name: "outage", replicas: 3, readyDelay: "3s"})
			watching := make(chan struct{})
			var once sync.Once
			onEvent := func(ev watch.Event) {
				if ev.Type == watch.EventProgress {
					once.Do(func() { close(watching) })
				}
			}
			// The control plane's own clients back off too: after the
			// outage the pods can take long to appear.
			o := fast()
			o.Timeout = 3 * budget()
			var res <-chan watchResult
			if during {
				res = e.startWatch(o, onEvent, obj)
				<-watching
			}
			if !during {
				// The controllers act before the outage: what is tested is
				// the watch's first read, not the ReplicaSet controller's
				// back-off (minutes) on pods it failed to create.
				e.waitForPods(obj.GetName(), 3)
			}
			e.outage()
			if !during {
				res = e.startWatch(o, onEvent, obj)
			}
			select {
			case r := <-res:
				t.Fatalf("Watch() = %v while the apiserver was down", r.err)
			case <-time.After(10 * time.Second):
			}
			if err := e.cluster.StartAPIServer(); err != nil {
				t.Fatalf("start apiserver: %v", err)
			}
			r := <-res
			t.Logf("Watch returned %s after it began: %v", r.elapsed.Round(time.Millisecond), r.err)
			if r.err != nil {
				t.Fatalf("Watch() = %v, want nil after the outage", r.err)
			}
			if !r.has(watch.EventInfo) {
				t.Errorf("the outage was not reported")
			}
		})
	}
}

// outage stops the apiserver; the test's cleanup starts it again if the
// test ends first.
// waitForPods waits until Deployment name's pods all exist.
func (e *env) waitForPods(name string, n int32) {
	e.t.Helper()
	err := wait.PollUntilContextTimeout(e.t.Context(), 100*time.Millisecond, budget(), true, func(ctx context.Context) (bool, error) {
		d, err := e.clients.Typed.AppsV1().Deployments(e.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return d.Status.ObservedGeneration >= d.Generation && d.Status.Replicas >= n, nil
	})
	if err != nil {
		e.t.Fatalf("waiting for the pods of Deployment %s/%s: %v", e.ns, name, err)
	}
}

func (e *env) outage() {
	e.t.Helper()
	if err := e.cluster.StopAPIServer(); err != nil {
		e.t.Fatalf("stop apiserver: %v", err)
	}
	e.t.Cleanup(func() {
		if err := e.cluster.StartAPIServer(); err != nil && !strings.Contains(err.Error(), "already running") {
			e.t.Errorf("start apiserver: %v", err)
		}
	})
}
