package watch

import (
	"testing"
	"time"
)

// TestEmitterNeverBlocks: with nobody reading, sending many events returns
// at once and stop returns too; a ready reader then gets events in order.
func TestEmitterNeverBlocks(t *testing.T) {
	out := make(chan Event)
	e := startEmitter(out)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 3*emitterBuffer; i++ {
			e.send(Event{Type: EventProgress})
		}
		e.stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("send or stop blocked on a channel nobody reads")
	}
}

func TestEmitterDeliversInOrder(t *testing.T) {
	out := make(chan Event, 10)
	e := startEmitter(out)
	for _, m := range []string{"a", "b", "c"} {
		e.send(Event{Message: m})
	}
	e.stop()
	close(out) // safe: nothing is sent after stop
	var got string
	for ev := range out {
		got += ev.Message
	}
	if got != "abc" {
		t.Errorf("got %q, want %q", got, "abc")
	}
}

func TestEmitterNil(t *testing.T) {
	e := startEmitter(nil)
	e.send(Event{})
	e.stop()
}
