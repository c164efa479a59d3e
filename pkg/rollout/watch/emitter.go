package watch

// emitterBuffer is how many events wait for a slow reader before new ones
// are dropped.
const emitterBuffer = 256

// emitter hands events to the caller's channel without ever blocking the
// watch: events queue in a buffer, a goroutine forwards them, and when the
// buffer is full (the reader stalled) new events are dropped. Nothing is
// sent after stop returns, so the caller may close its channel once Watch
// has returned.
type emitter struct {
	out      chan<- Event
	in       chan Event
	done     chan struct{}
	finished chan struct{}
	held     *Event // taken from in but not delivered when stop came
}

func startEmitter(out chan<- Event) *emitter {
	e := &emitter{out: out}
	if out == nil {
		return e
	}
	e.in = make(chan Event, emitterBuffer)
	e.done, e.finished = make(chan struct{}), make(chan struct{})
	go e.forward()
	return e
}

func (e *emitter) forward() {
	defer close(e.finished)
	for {
		select {
		case ev := <-e.in:
			select {
			case e.out <- ev:
			case <-e.done:
				e.held = &ev
				return
			}
		case <-e.done:
			return
		}
	}
}

// send queues events; safe from any goroutine.
func (e *emitter) send(evs ...Event) {
	if e.in == nil {
		return
	}
	for _, ev := range evs {
		select {
		case e.in <- ev:
		default: // the reader stalled; progress is not worth blocking for
		}
	}
}

// stop ends forwarding, then offers what is still queued to a reader that
// is ready for it, in order, dropping the rest.
func (e *emitter) stop() {
	if e.in == nil {
		return
	}
	close(e.done)
	<-e.finished
	if e.held != nil && !e.offer(*e.held) {
		return
	}
	for {
		select {
		case ev := <-e.in:
			if !e.offer(ev) {
				return
			}
		default:
			return
		}
	}
}

func (e *emitter) offer(ev Event) bool {
	select {
	case e.out <- ev:
		return true
	default:
		return false
	}
}
