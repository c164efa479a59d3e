package watch

import (
	"fmt"
	"strings"
	"time"
)

// machine turns verdicts into the watch's outcome. It fails on the first
// failure; once everything is Current it opens the Verify window, which is
// never restarted: objects that leave Current inside it (a flickering
// pod) only make the watch wait for them again at its end. Until then the
// Timeout, counted from the start, does not cut the window short.
type machine struct {
	o         Options
	deadline  time.Time
	verifyEnd time.Time // zero until everything was Current once
	lastShown string
}

func newMachine(o Options, start time.Time) *machine {
	return &machine{o: o, deadline: start.Add(o.Timeout)}
}

// step evaluates one verdict. notSynced is empty once every cache has
// synced, else why not. done says Watch returns err.
func (m *machine) step(vd verdict, notSynced string, now time.Time) (done bool, evs []Event, err error) {
	if f := vd.failure; f != nil {
		return true, []Event{{Time: f.Observed, Type: EventFailure, Object: f.Object, Message: f.Error()}}, f
	}
	current := notSynced == "" && len(vd.notCurrent()) == 0
	if key := fmt.Sprint(vd.shown); notSynced == "" && key != m.lastShown {
		m.lastShown = key
		evs = append(evs, Event{Time: now, Type: EventProgress, Message: progressMessage(vd), Workloads: vd.shown})
	}
	switch {
	case current && m.verifyEnd.IsZero() && m.o.Verify > 0:
		m.verifyEnd = now.Add(m.o.Verify)
		msg := fmt.Sprintf("all %d objects Current; %s", len(vd.statuses), verifyingText(m.o.Verify))
		return false, append(evs, Event{Time: now, Type: EventVerifying, Message: msg, Workloads: vd.shown}), nil
	case current && !now.Before(m.verifyEnd):
		msg := fmt.Sprintf("all %d objects Current", len(vd.statuses))
		if m.o.Verify > 0 {
			msg += ", and stayed healthy for " + roundDuration(m.o.Verify)
		}
		return true, append(evs, Event{Time: now, Type: EventHealthy, Message: msg, Workloads: vd.shown}), nil
	case !current && !now.Before(m.deadline) && !now.Before(m.verifyEnd):
		f := m.timeout(vd, notSynced, now)
		return true, append(evs, Event{Time: now, Type: EventFailure, Object: f.Object, Message: f.Error()}), f
	}
	return false, evs, nil
}

// timeout names what was not ready.
func (m *machine) timeout(vd verdict, notSynced string, now time.Time) *Failure {
	f := &Failure{Reason: ReasonTimeout, Observed: now}
	if notSynced != "" {
		f.Message = fmt.Sprintf("not ready after %s: the watch has not synced: %s", roundDuration(m.o.Timeout), notSynced)
		return f
	}
	waiting := vd.notCurrent()
	f.Object = waiting[0].Object
	f.Message = fmt.Sprintf("not ready after %s: %s", roundDuration(m.o.Timeout), describe(waiting))
	return f
}

// wake is when the machine must run again even if nothing changes: the
// next of the deadline, the end of the Verify window and the verdict's own
// wake-up that is still ahead; zero if none is.
func (m *machine) wake(vd verdict, now time.Time) time.Time {
	var t time.Time
	for _, w := range []time.Time{m.deadline, m.verifyEnd, vd.wake} {
		if w.After(now) && (t.IsZero() || w.Before(t)) {
			t = w
		}
	}
	return t
}

func progressMessage(vd verdict) string {
	waiting := vd.notCurrent()
	if len(waiting) == 0 {
		return fmt.Sprintf("all %d objects Current", len(vd.statuses))
	}
	names := make([]string, 0, len(waiting))
	for _, w := range waiting {
		if w.Message != "" {
			names = append(names, fmt.Sprintf("%s (%s)", w.Object, w.Message))
		} else {
			names = append(names, w.Object)
		}
	}
	return fmt.Sprintf("%d/%d objects Current; waiting for %s", len(vd.statuses)-len(waiting), len(vd.statuses), strings.Join(names, ", "))
}
