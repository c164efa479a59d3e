package watch

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// fakeView is a view over constructed objects.
type fakeView struct {
	objects map[string]*unstructured.Unstructured
	pods    map[types.UID]*corev1.Pod
	rss     []*appsv1.ReplicaSet
	revs    []*appsv1.ControllerRevision
}

func (f *fakeView) object(r ref) (*unstructured.Unstructured, bool) {
	u, ok := f.objects[r.id]
	return u, ok
}

func (f *fakeView) pod(ns, name string) (*corev1.Pod, bool) {
	for _, p := range f.pods {
		if p.Namespace == ns && p.Name == name {
			return p, true
		}
	}
	return nil, false
}

func (f *fakeView) podsOwnedBy(ns string, uid types.UID) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range f.pods {
		if p.Namespace == ns && isOwnedBy(p.OwnerReferences, uid) {
			out = append(out, p)
		}
	}
	return out
}

func (f *fakeView) replicaSetsOwnedBy(ns string, uid types.UID) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range f.rss {
		if rs.Namespace == ns && isOwnedBy(rs.OwnerReferences, uid) {
			out = append(out, rs)
		}
	}
	return out
}

func (f *fakeView) revisionsOwnedBy(ns string, uid types.UID) []*appsv1.ControllerRevision {
	var out []*appsv1.ControllerRevision
	for _, r := range f.revs {
		if r.Namespace == ns && isOwnedBy(r.OwnerReferences, uid) {
			out = append(out, r)
		}
	}
	return out
}

func isOwnedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	c := metav1.GetControllerOfNoCopy(&metav1.ObjectMeta{OwnerReferences: refs})
	return c != nil && c.UID == uid
}

// world drives an evaluator and a machine over a fakeView with a fake
// clock; setPod plays the pod informer's handler.
type world struct {
	t      *testing.T
	v      *fakeView
	facts  *factStore
	ev     *evaluator
	m      *machine
	now    time.Time
	synced string
}

func newWorld(t *testing.T, o Options, refs ...ref) *world {
	t.Helper()
	o = o.withDefaults()
	facts := newFactStore(o)
	return &world{
		t: t, v: &fakeView{objects: map[string]*unstructured.Unstructured{}, pods: map[types.UID]*corev1.Pod{}},
		facts: facts, ev: &evaluator{refs: refs, facts: facts}, m: newMachine(o, t0), now: t0,
	}
}

func (w *world) set(id string, obj any) {
	w.t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		w.t.Fatal(err)
	}
	w.v.objects[id] = &unstructured.Unstructured{Object: m}
}

func (w *world) setPod(p *corev1.Pod) {
	w.v.pods[p.UID] = p
	w.facts.observe(p, false, w.now)
}

// at moves the clock to t0+d and runs one step.
func (w *world) at(d time.Duration) (bool, []Event, error) {
	w.now = t0.Add(d)
	vd := w.ev.evaluate(w.v, w.now)
	return w.m.step(vd, w.synced, w.now)
}

func types_(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

var deployRef = ref{id: "Deployment/shop/web", gk: gkDeployment, gvr: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, namespace: "shop", name: "web"}

// deploy is Deployment shop/web at revision rev; ready replicas of 3.
func deploy(gen, observed int64, rev string, ready int32) *appsv1.Deployment {
	three := int32(3)
	d := &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "shop", UID: "uid-deploy", Generation: gen,
			Annotations: map[string]string{revisionAnnotation: rev},
		},
		Spec: appsv1.DeploymentSpec{Replicas: &three},
		Status: appsv1.DeploymentStatus{
			ObservedGeneration: observed, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: ready, AvailableReplicas: ready,
		},
	}
	if ready == 3 {
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}
	}
	return d
}

func replicaSet(name, rev string) *appsv1.ReplicaSet {
	yes := true
	return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: "shop", UID: types.UID("uid-" + name),
		Annotations:     map[string]string{revisionAnnotation: rev},
		OwnerReferences: []metav1.OwnerReference{{UID: "uid-deploy", Controller: &yes}},
	}}
}

// rolling sets up a Deployment at revision 2 whose old ReplicaSet (web-old)
// and new one (web-new) each own one pod, with the given statuses.
func rolling(w *world, old, new []podOpt) {
	w.set(deployRef.id, deploy(2, 2, "2", 3))
	w.v.rss = []*appsv1.ReplicaSet{replicaSet("web-old", "1"), replicaSet("web-new", "2")}
	w.setPod(newPod(append([]podOpt{named("web-old-1"), ownedBy("uid-web-old", nil)}, old...)...))
	w.setPod(newPod(append([]podOpt{named("web-new-1"), ownedBy("uid-web-new", nil)}, new...)...))
}

func TestMachineOnlyNewRevisionCounts(t *testing.T) {
	crash := []podOpt{ready(false), restarts(4), waiting("CrashLoopBackOff", "back-off")}
	tests := []struct {
		name     string
		old, new []podOpt
		want     string // failing pod, or "" for healthy
	}{
		{name: "old pods healthy, new pods crash", old: nil, new: crash, want: "Pod/shop/web-new-1"},
		{name: "old pods crash, new pods healthy", old: crash, new: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, Options{Verify: 5 * time.Second}, deployRef)
			rolling(w, tt.old, tt.new)
			done, _, err := w.at(0)
			if tt.want != "" {
				f, ok := err.(*Failure)
				if !done || !ok || f.Object != tt.want {
					t.Fatalf("got done=%v err=%v, want a failure of %s", done, err, tt.want)
				}
				return
			}
			if done {
				t.Fatalf("done before Verify: %v", err)
			}
			if done, _, err = w.at(5 * time.Second); !done || err != nil {
				t.Fatalf("after Verify: done=%v err=%v, want healthy", done, err)
			}
		})
	}
}

// TestMachineStaleRevision: until the Deployment controller has observed
// the new generation, the revision it names is the previous one, whose
// crash-looping pods are not this rollout's.
func TestMachineStaleRevision(t *testing.T) {
	w := newWorld(t, Options{}, deployRef)
	w.set(deployRef.id, deploy(3, 2, "1", 2))
	w.v.rss = []*appsv1.ReplicaSet{replicaSet("web-old", "1")}
	w.setPod(newPod(named("web-old-1"), ownedBy("uid-web-old", nil), restarts(9), waiting("CrashLoopBackOff", "")))
	if done, _, err := w.at(0); done {
		t.Fatalf("done: %v", err)
	}
}

func TestMachineNewReplicaSetFailure(t *testing.T) {
	w := newWorld(t, Options{}, deployRef)
	rolling(w, nil, nil)
	w.set(deployRef.id, deploy(2, 2, "2", 1))
	w.v.rss[1].Status.Conditions = []appsv1.ReplicaSetCondition{{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: "exceeded quota"}}
	done, evs, err := w.at(time.Second)
	want := &Failure{Object: "ReplicaSet/shop/web-new", Reason: "FailedCreate", Message: "exceeded quota", Observed: t0.Add(time.Second)}
	if diff := cmp.Diff(want, err); !done || diff != "" {
		t.Fatalf("done=%v (-want +got):\n%s", done, diff)
	}
	if diff := cmp.Diff([]string{EventFailure}, types_(evs)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestMachineFlickerDoesNotResetVerify: the Deployment leaves Current
// inside the Verify window and comes back; the window is not restarted,
// and a restart past the limit inside it fails the rollout.
func TestMachineFlickerDoesNotResetVerify(t *testing.T) {
	newPodAt := func(opts ...podOpt) *corev1.Pod {
		return newPod(append([]podOpt{named("web-new-1"), ownedBy("uid-web-new", nil)}, opts...)...)
	}
	t.Run("healthy at the end of the first window", func(t *testing.T) {
		w := newWorld(t, Options{Verify: 10 * time.Second}, deployRef)
		rolling(w, nil, nil)
		mustStep(t, w, 0, false, EventProgress, EventVerifying)
		w.set(deployRef.id, deploy(2, 2, "2", 2))
		w.setPod(newPodAt(ready(false), restarts(1), lastTerminated("Error", 1)))
		mustStep(t, w, 3*time.Second, false, EventProgress)
		w.set(deployRef.id, deploy(2, 2, "2", 3))
		w.setPod(newPodAt(restarts(1), lastTerminated("Error", 1)))
		mustStep(t, w, 4*time.Second, false, EventProgress)
		mustStep(t, w, 10*time.Second, true, EventHealthy)
	})
	t.Run("restart limit inside the window", func(t *testing.T) {
		w := newWorld(t, Options{Verify: 10 * time.Second}, deployRef)
		rolling(w, nil, nil)
		mustStep(t, w, 0, false, EventProgress, EventVerifying)
		for i, d := range []time.Duration{2, 4, 6} {
			w.now = t0.Add(d * time.Second)
			w.setPod(newPodAt(ready(i%2 == 0), restarts(int32(i+1)), lastTerminated("Error", 1)))
		}
		done, _, err := w.at(7 * time.Second)
		f, ok := err.(*Failure)
		if !done || !ok || f.Reason != ReasonRestartLimit || !f.Observed.Equal(t0.Add(6*time.Second)) {
			t.Fatalf("done=%v err=%#v, want RestartLimitExceeded observed at +6s", done, err)
		}
	})
}

func mustStep(t *testing.T, w *world, d time.Duration, wantDone bool, wantEvents ...string) {
	t.Helper()
	done, evs, err := w.at(d)
	if done != wantDone || err != nil {
		t.Fatalf("at +%s: done=%v err=%v, want done=%v", d, done, err, wantDone)
	}
	if diff := cmp.Diff(wantEvents, types_(evs)); diff != "" {
		t.Fatalf("at +%s: events (-want +got):\n%s", d, diff)
	}
}

func TestMachineTimeout(t *testing.T) {
	tests := []struct {
		name    string
		synced  string
		wantObj string
		wantMsg string
	}{
		{name: "not ready", wantObj: "Deployment/shop/web", wantMsg: "not ready after 1m0s: Deployment/shop/web: InProgress: Available: 1/3"},
		{name: "never synced", synced: "lost the watch of pods in shop: connection refused", wantMsg: "not ready after 1m0s: the watch has not synced: lost the watch of pods in shop: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, Options{Timeout: time.Minute}, deployRef)
			w.synced = tt.synced
			rolling(w, nil, nil)
			w.set(deployRef.id, deploy(2, 2, "2", 1))
			if done, _, err := w.at(59 * time.Second); done {
				t.Fatalf("done early: %v", err)
			}
			done, _, err := w.at(time.Minute)
			want := &Failure{Object: tt.wantObj, Reason: ReasonTimeout, Message: tt.wantMsg, Observed: t0.Add(time.Minute)}
			if diff := cmp.Diff(want, err); !done || diff != "" {
				t.Errorf("done=%v (-want +got):\n%s", done, diff)
			}
		})
	}
}

// TestMachineVerifyOutlastsTimeout: the Timeout bounds becoming Current,
// not the Verify window that follows.
func TestMachineVerifyOutlastsTimeout(t *testing.T) {
	w := newWorld(t, Options{Timeout: 10 * time.Second, Verify: 10 * time.Second}, deployRef)
	rolling(w, nil, nil)
	w.set(deployRef.id, deploy(2, 2, "2", 1))
	mustStep(t, w, 0, false, EventProgress)
	w.set(deployRef.id, deploy(2, 2, "2", 3))
	mustStep(t, w, 9*time.Second, false, EventProgress, EventVerifying)
	mustStep(t, w, 12*time.Second, false)
	mustStep(t, w, 19*time.Second, true, EventHealthy)
}

func TestMachineNoVerify(t *testing.T) {
	w := newWorld(t, Options{Verify: -1}, deployRef)
	rolling(w, nil, nil)
	mustStep(t, w, 0, true, EventProgress, EventHealthy)
}

func TestMachineWorkloadStatus(t *testing.T) {
	w := newWorld(t, Options{}, deployRef)
	rolling(w, nil, nil)
	w.set(deployRef.id, deploy(2, 2, "2", 2))
	_, evs, _ := w.at(0)
	want := []WorkloadStatus{{Object: "Deployment/shop/web", Desired: 3, Updated: 3, Ready: 2, Available: 2, Status: "InProgress", Message: "Available: 2/3"}}
	if len(evs) != 1 {
		t.Fatalf("events: %v", evs)
	}
	if diff := cmp.Diff(want, evs[0].Workloads); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(evs[0].Message, "0/1 objects Current") {
		t.Errorf("message %q", evs[0].Message)
	}
}
