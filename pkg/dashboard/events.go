package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Server-sent event names.
const (
	// EventEnvironment carries an EnvView whenever it changed.
	EventEnvironment = "environment"
	// EventAction carries an ActionView whenever an action made progress.
	EventAction = "action"
)

// message is one server-sent event.
type message struct {
	event string
	data  []byte
}

// hub fans messages out to every connected page. A page too slow to take
// its messages is dropped; it reconnects and gets a fresh snapshot.
type hub struct {
	mu   sync.Mutex
	subs map[chan message]struct{}
}

func newHub() *hub { return &hub{subs: map[chan message]struct{}{}} }

func (h *hub) subscribe() (<-chan message, func()) {
	ch := make(chan message, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

func (h *hub) publish(event string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- message{event: event, data: data}:
		default:
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// keepAlive is how often an idle event stream gets a comment line, so that
// proxies and the browser keep it open.
const keepAlive = 15 * time.Second

// serveEvents streams events: first a snapshot of every environment and
// action, then every change as it happens.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	ch, cancel := s.hub.subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	for _, v := range s.snapshot() {
		writeEvent(w, EventEnvironment, v)
	}
	for _, a := range s.acts.list() {
		writeEvent(w, EventAction, a)
	}
	flusher.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case m, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", m.event, m.data)
		}
		flusher.Flush()
	}
}

func writeEvent(w http.ResponseWriter, event string, v any) {
	data, err := json.Marshal(v)
	if err == nil {
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
	}
}
