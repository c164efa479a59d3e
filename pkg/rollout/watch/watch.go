package watch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Bounds of the wait between two evaluations when nothing is reported:
// timed rules (deadline, Verify, unschedulable grace) are checked at least
// this often, never more often.
const (
	minWake = 10 * time.Millisecond
	maxWake = 2 * time.Second
)

// Watch follows objs (the applied objects; only their kind, namespace and
// name are read) until one of:
//   - every object is Current (kstatus) and then stays free of failures for
//     the Verify window: nil;
//   - a fail-fast rule fires on an object or on a pod of its new revision:
//     a *Failure naming it;
//   - Timeout passes before everything is Current: a *Failure with reason
//     Timeout naming what was not;
//   - ctx is done: ctx.Err().
//
// Other errors mean objs could not be watched at all (an unknown kind).
// A lost connection to the apiserver is no failure: the informers retry,
// and the watch only ends on a rule or the timeout.
//
// events, if not nil, receives progress; Watch never blocks on it (events
// are dropped when its reader stalls; give it a buffer) and sends nothing
// after returning.
func Watch(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, o Options, events chan<- Event) error {
	o = o.withDefaults()
	start := o.Clock.Now()
	em := startEmitter(events)
	defer em.stop()
	refs, err := mapRefs(ctx, c, objs, o, start, em)
	if err != nil {
		return err
	}
	informerCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	notifyCh := make(chan struct{}, 1)
	h := hooks{
		facts:  newFactStore(o),
		notify: func() { notify(notifyCh) },
		now:    o.Clock.Now,
		conn:   newConnState(func(ev Event) { em.send(ev) }, o.Clock.Now, func() { notify(notifyCh) }),
	}
	cs, err := startCaches(informerCtx, &wg, c, refs, h)
	if err != nil {
		return err
	}
	return run(ctx, o, start, &evaluator{refs: refs, facts: h.facts}, cs, em, notifyCh)
}

// mapRefs maps objs to resources. Discovery needs the apiserver, so an
// outage at the start is waited out like one later on (until the Timeout);
// a kind the cluster does not serve is an error at once.
func mapRefs(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, o Options, start time.Time, em *emitter) ([]ref, error) {
	backoff := wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.2, Cap: maxWake, Steps: math.MaxInt32}
	for reported := false; ; reported = true {
		refs, err := refsOf(c.Mapper, objs)
		if err == nil || meta.IsNoMatchError(err) || errors.Is(err, errNoNamespace) {
			return refs, err
		}
		if !o.Clock.Now().Before(start.Add(o.Timeout)) {
			return nil, &Failure{Reason: ReasonTimeout, Message: fmt.Sprintf("not ready after %s: %v", roundDuration(o.Timeout), err), Observed: o.Clock.Now()}
		}
		if !reported {
			em.send(Event{Time: o.Clock.Now(), Type: EventInfo, Message: fmt.Sprintf("cannot read the cluster's kinds: %v; retrying", err)})
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff.Step()):
		}
	}
}

// run evaluates whenever an informer reports a change or a timed rule is
// due, until the machine is done.
func run(ctx context.Context, o Options, start time.Time, ev *evaluator, cs *caches, em *emitter, notified <-chan struct{}) error {
	m := newMachine(o, start)
	timer := time.NewTimer(maxWake)
	defer timer.Stop()
	for {
		now := o.Clock.Now()
		vd := ev.evaluate(cs, now)
		done, evs, err := m.step(vd, cs.notSynced(), now)
		em.send(evs...)
		if done {
			return err
		}
		timer.Reset(wakeAfter(m.wake(vd, now), now))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-notified:
		case <-timer.C:
		}
	}
}

func wakeAfter(at, now time.Time) time.Duration {
	if at.IsZero() {
		return maxWake
	}
	return min(max(at.Sub(now), minWake), maxWake)
}

// notify wakes the loop; a wake-up already pending covers this one.
func notify(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
