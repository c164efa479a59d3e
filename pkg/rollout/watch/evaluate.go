package watch

import (
	"fmt"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// verdict is one evaluation of everything watched.
type verdict struct {
	// statuses has one entry per watched object, in the given order.
	statuses []WorkloadStatus
	// shown are the statuses events carry: the workloads' and those of
	// objects not yet Current.
	shown []WorkloadStatus
	// failure is the earliest-observed failure, if any.
	failure *Failure
	// wake is the earliest time a timed rule may fire, or zero.
	wake time.Time
}

func (v verdict) notCurrent() []WorkloadStatus {
	var out []WorkloadStatus
	for _, s := range v.statuses {
		if s.Status != string(status.CurrentStatus) {
			out = append(out, s)
		}
	}
	return out
}

// evaluator computes verdicts: kstatus for every object, the object rules,
// and the pod rules for the pods of each object's newest revision.
type evaluator struct {
	refs  []ref
	facts *factStore
}

func (e *evaluator) evaluate(v view, now time.Time) verdict {
	var vd verdict
	for _, r := range e.refs {
		u, ok := v.object(r)
		if !ok {
			ws := WorkloadStatus{Object: r.id, Status: string(status.NotFoundStatus), Message: "not found"}
			vd.statuses, vd.shown = append(vd.statuses, ws), append(vd.shown, ws)
			continue
		}
		res, err := status.Compute(u)
		if err != nil {
			res = &status.Result{Status: status.UnknownStatus, Message: err.Error()}
		}
		ws := workloadStatus(r.id, u, res)
		vd.statuses = append(vd.statuses, ws)
		if hasPods(r.gk) || res.Status != status.CurrentStatus {
			vd.shown = append(vd.shown, ws)
		}
		vd.merge(e.objectFailure(v, u, res, now))
	}
	return vd
}

// merge keeps the earliest failure and the earliest wake-up.
func (vd *verdict) merge(f *Failure, wake time.Time) {
	if f != nil && (vd.failure == nil || f.Observed.Before(vd.failure.Observed)) {
		vd.failure = f
	}
	if !wake.IsZero() && (vd.wake.IsZero() || wake.Before(vd.wake)) {
		vd.wake = wake
	}
}

func (e *evaluator) objectFailure(v view, u *unstructured.Unstructured, res *status.Result, now time.Time) (*Failure, time.Time) {
	var vd verdict
	at := func(f *Failure) *Failure {
		if f != nil {
			f.Observed = now
		}
		return f
	}
	pods, rs := newRevision(v, u)
	for _, p := range pods {
		vd.merge(e.facts.check(p, now))
	}
	if rs != nil {
		vd.merge(at(ReplicaSetFailure(rs)), time.Time{})
	}
	switch u.GroupVersionKind().GroupKind() {
	case gkDeployment:
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err == nil {
			vd.merge(at(DeploymentFailure(&d)), time.Time{})
		}
	case gkJob:
		// The failed pod names why; kstatus's Failed only says that.
		vd.merge(at(cmpOr(JobFailure(u, pods), StatusFailure(u, res))), time.Time{})
	default:
		vd.merge(at(StatusFailure(u, res)), time.Time{})
	}
	return vd.failure, vd.wake
}

// workloadStatus reads the replica counts of the workload kinds.
func workloadStatus(id string, u *unstructured.Unstructured, res *status.Result) WorkloadStatus {
	ws := WorkloadStatus{Object: id, Status: string(res.Status), Message: res.Message}
	n := func(def int64, path ...string) int32 {
		v, found, err := unstructured.NestedInt64(u.Object, path...)
		if !found || err != nil {
			return int32(def)
		}
		return int32(v)
	}
	switch u.GroupVersionKind().GroupKind() {
	case gkDeployment, gkStatefulSet, gkReplicaSet:
		ws.Desired, ws.Updated = n(1, "spec", "replicas"), n(0, "status", "updatedReplicas")
		ws.Ready, ws.Available = n(0, "status", "readyReplicas"), n(0, "status", "availableReplicas")
		if u.GetKind() == gkReplicaSet.Kind {
			ws.Updated = n(0, "status", "replicas")
		}
	case gkDaemonSet:
		ws.Desired, ws.Updated = n(0, "status", "desiredNumberScheduled"), n(0, "status", "updatedNumberScheduled")
		ws.Ready, ws.Available = n(0, "status", "numberReady"), n(0, "status", "numberAvailable")
	case gkJob:
		ws.Desired, ws.Ready, ws.Available = n(1, "spec", "completions"), n(0, "status", "ready"), n(0, "status", "succeeded")
	}
	return ws
}

// describe lists statuses as "Deployment/shop/web: InProgress: Ready: 2/3".
func describe(statuses []WorkloadStatus) string {
	s := ""
	for i, w := range statuses {
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%s: %s", w.Object, w.Status)
		if w.Message != "" {
			s += ": " + w.Message
		}
	}
	return s
}

// cmpOr is the first non-nil failure.
func cmpOr(fs ...*Failure) *Failure {
	for _, f := range fs {
		if f != nil {
			return f
		}
	}
	return nil
}
