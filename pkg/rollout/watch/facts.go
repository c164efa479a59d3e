package watch

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podFacts is what the watch remembers about one pod. Facts only
// accumulate: a later, healthier-looking status (a crash-looping container
// briefly Ready) never takes one back.
type podFacts struct {
	// baselines are the restart counts of a pod that existed before the
	// watch began, by container; only restarts after them count.
	baselines map[string]int32
	// firstUnschedulable is when the pod was first seen unschedulable.
	firstUnschedulable time.Time
	// failure is the first failing status seen, with its time.
	failure *Failure
}

func (f *podFacts) baseline(container string) int32 {
	if f == nil {
		return 0
	}
	return f.baselines[container]
}

func (f *podFacts) unschedulableSince() time.Time {
	if f == nil {
		return time.Time{}
	}
	return f.firstUnschedulable
}

// factStore keeps podFacts by pod UID. Informer handlers write it as each
// pod status arrives, so no intermediate status is missed and a failure's
// time is when it was seen, not when the state was next evaluated.
type factStore struct {
	o    Options
	mu   sync.Mutex
	pods map[types.UID]*podFacts
}

func newFactStore(o Options) *factStore {
	return &factStore{o: o, pods: map[types.UID]*podFacts{}}
}

// observe records one status of pod seen at now. existing says the pod was
// there when the watch began (its initial list); its restart counts become
// the baseline.
func (s *factStore) observe(pod *corev1.Pod, existing bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.pods[pod.UID]
	if f == nil {
		f = &podFacts{}
		if existing {
			f.baselines = restartCounts(pod)
		}
		s.pods[pod.UID] = f
	}
	if unschedulableCondition(pod, s.o) == nil {
		f.firstUnschedulable = time.Time{}
	} else if f.firstUnschedulable.IsZero() {
		f.firstUnschedulable = now
	}
	s.recordFailure(pod, f, now)
}

func (s *factStore) recordFailure(pod *corev1.Pod, f *podFacts, now time.Time) *Failure {
	if f.failure == nil {
		if fail := podFailure(pod, s.o, now, f); fail != nil {
			fail.Observed = now
			f.failure = fail
		}
	}
	return f.failure
}

// forget drops a deleted pod.
func (s *factStore) forget(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pods, uid)
}

// check returns the failure of a pod of the new revision, if any, and
// when a timed rule could next fire for it. A pod no handler has seen yet
// is skipped: its baseline is unknown, and its handler comes next.
func (s *factStore) check(pod *corev1.Pod, now time.Time) (*Failure, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.pods[pod.UID]
	if f == nil {
		return nil, time.Time{}
	}
	if fail := s.recordFailure(pod, f, now); fail != nil {
		c := *fail
		return &c, time.Time{}
	}
	return nil, unschedulableAt(pod, s.o, now, f.firstUnschedulable)
}

func restartCounts(pod *corev1.Pod) map[string]int32 {
	m := map[string]int32{}
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, cs := range list {
			m[cs.Name] = cs.RestartCount
		}
	}
	return m
}
