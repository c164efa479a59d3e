package watch

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestConnState: a lost watch is reported once however many informers
// lose theirs, blocks completion while lost, and is reported restored once
// all are back. Routine ends of a watch are not losses.
func TestConnState(t *testing.T) {
	var got []string
	s := newConnState(func(ev Event) { got = append(got, ev.Type+": "+ev.Message) }, func() time.Time { return t0 }, func() {})
	refused := errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")
	s.failed("pods in shop", io.EOF)
	if p := s.problem(); p != "" {
		t.Fatalf("EOF counted as lost: %q", p)
	}
	s.failed("pods in shop", refused)
	s.failed("deployments in shop", refused)
	s.failed("pods in shop", refused)
	if want := "lost the watch of deployments in shop, pods in shop: " + refused.Error(); s.problem() != want {
		t.Errorf("problem() = %q, want %q", s.problem(), want)
	}
	s.restored("pods in shop")
	s.restored("deployments in shop")
	s.restored("deployments in shop")
	want := []string{
		"info: lost the watch of pods in shop: " + refused.Error() + "; retrying",
		"info: watch restored",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if p := s.problem(); p != "" {
		t.Errorf("problem() after restore = %q", p)
	}
}
