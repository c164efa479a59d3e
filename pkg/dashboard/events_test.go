package dashboard

import "testing"

func TestHubDropsSlowSubscriber(t *testing.T) {
	h := newHub()
	fast, cancelFast := h.subscribe()
	defer cancelFast()
	slow, cancelSlow := h.subscribe()
	defer cancelSlow()
	for i := 0; i < 100; i++ {
		h.publish(EventEnvironment, i)
		<-fast
	}
	n := 0
	for range slow {
		n++
	}
	if n != 64 {
		t.Errorf("the slow subscriber got %d messages before being dropped, want its buffer of 64", n)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) != 1 {
		t.Errorf("%d subscribers left, want the fast one", len(h.subs))
	}
}
