package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// liveScript is rolledBack with a view that grows (a workload joins), lines
// longer than the terminal and a failure line, to exercise every redraw.
func liveScript() deployScript {
	s := rolledBack()
	long := watch.WorkloadStatus{Object: "StatefulSet/shop-dev/a-very-long-name-for-the-orders-database-primary", Desired: 1,
		Status: "InProgress", Message: "Ready: 0/1, waiting for the volume claim data-orders-0 to bind to a persistent volume"}
	grown := watchEv(6, watch.EventProgress, "", "2 of 3 objects not Current", web(2, 3, "InProgress", "Ready: 2/3"), api(1, "Current"), long)
	events := append([]promote.Event{}, s.events[:7]...)
	events = append(events, grown, watchEv(7, watch.EventInfo, "", "lost the watch of pods: connection refused; retrying"))
	s.events = append(events, s.events[7:]...)
	return s
}

// TestTerminalUnderPTY runs the printer on a real pseudo-terminal, replays
// what the terminal received in a small VT100 emulator, and checks that the
// screen ends up holding exactly the plain log (every live view erased
// whole, nothing else erased), and that colour follows NO_COLOR and --color.
func TestTerminalUnderPTY(t *testing.T) {
	tests := []struct {
		name, noColor, color string
		cols, rows           int
		wantSGR              bool
	}{
		{"colour", "", "auto", 80, 24, true},
		{"NO_COLOR", "1", "auto", 80, 24, false},
		{"color never", "", "never", 80, 24, false},
		{"NO_COLOR but color always", "1", "always", 80, 24, true},
		{"small window", "1", "auto", 40, 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tt.noColor)
			t.Setenv("TERM", "xterm-256color")
			t.Setenv("GITHUB_ACTIONS", "")
			out := runOnPTY(t, tt.cols, tt.rows, tt.color, liveScript())
			term, err := emulate(out, tt.cols, tt.rows)
			if err != nil {
				t.Fatalf("%v\nraw output:\n%q", err, out)
			}
			if got := term.sgr > 0; got != tt.wantSGR {
				t.Errorf("colour escapes: %d, want any: %v", term.sgr, tt.wantSGR)
			}
			if term.redraws < 5 {
				t.Errorf("the view was erased %d times, want a live view", term.redraws)
			}
			if diff := cmp.Diff(plainLog(t, liveScript(), tt.cols, true), term.text()); diff != "" {
				t.Errorf("screen after the deploy is not the plain log (-want +got):\n%s", diff)
			}
			frame := lastFrame(t, out, tt.cols, tt.rows)
			if len(frame) > tt.rows-1 {
				t.Errorf("the view has %d lines, more than the %d-row window allows", len(frame), tt.rows)
			}
			for _, l := range frame {
				if n := utf8.RuneCountInString(l); n >= tt.cols {
					t.Errorf("view line of %d columns in a %d-column window: %q", n, tt.cols, l)
				}
			}
			if tt.cols == 80 && !tt.wantSGR {
				testutil.Golden(t, filepath.Join("testdata", "terminal", "last-frame.golden"), strings.Join(frame, "\n")+"\n")
			}
		})
	}
}

// TestTerminalPlainWhenNotLive checks that TERM=dumb gets no live view (and
// no colour), and that a pipe gets the plain printer.
func TestTerminalPlainWhenNotLive(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "dumb")
	t.Setenv("GITHUB_ACTIONS", "")
	out := runOnPTY(t, 80, 24, "auto", liveScript())
	if bytes.Contains(out, []byte("\x1b[")) {
		t.Errorf("escape sequences with TERM=dumb:\n%q", out)
	}
	term, err := emulate(out, 80, 24)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plainLog(t, liveScript(), 80, false), term.text()); diff != "" {
		t.Errorf("TERM=dumb output is not the plain log (-want +got):\n%s", diff)
	}
}

// runOnPTY plays s through the printer newProgressFor picks for a pty of
// cols×rows as stderr, and returns what the terminal received.
func runOnPTY(t *testing.T, cols, rows int, color string, s deployScript) []byte {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		t.Fatal(err)
	}
	read := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ptmx) // EIO once the tty side is closed
		read <- b
	}()
	g := NewGlobalOptions(genericiooptions.IOStreams{In: os.Stdin, Out: io.Discard, ErrOut: tty})
	g.Color = color
	s.play(newProgressFor(g, "dev"))
	tty.Close()
	return <-read
}

// plainLog is what the plain printer prints for s, as lines of at most
// cols, less the watch's progress lines, which the live view shows instead.
func plainLog(t *testing.T, s deployScript, cols int, live bool) []string {
	t.Helper()
	var buf bytes.Buffer
	if live {
		s.events = slices.DeleteFunc(slices.Clone(s.events), func(e promote.Event) bool {
			return e.Watch != nil && e.Watch.Type == watch.EventProgress
		})
	}
	s.play(&progress{out: io.Discard, err: &buf})
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		r := []rune(l)
		for len(r) > cols {
			lines, r = append(lines, strings.TrimRight(string(r[:cols]), " ")), r[cols:]
		}
		lines = append(lines, strings.TrimRight(string(r), " "))
	}
	return lines
}

// lastFrame is the view on screen just before the result erased it.
func lastFrame(t *testing.T, out []byte, cols, rows int) []string {
	t.Helper()
	// The last erase is the last cursor-up; the frame is the lines it erases.
	up := lastCursorUp(out)
	if up < 0 {
		t.Fatal("no cursor-up in the output: the view was never erased")
	}
	before, err := emulate(out[:up], cols, rows)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(string(out[up+2 : up+bytes.IndexByte(out[up:], 'A')]))
	all := before.text()
	return all[len(all)-n:]
}

func lastCursorUp(out []byte) int {
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == 0x1b && i+2 < len(out) && out[i+1] == '[' {
			j := i + 2
			for j < len(out) && out[j] >= '0' && out[j] <= '9' {
				j++
			}
			if j < len(out) && j > i+2 && out[j] == 'A' {
				return i
			}
		}
	}
	return -1
}

// vt is a tiny terminal emulator: printable text with autowrap, CR, LF,
// cursor up (CSI n A), erase below (CSI J) and SGR (CSI … m, counted and
// dropped). Any other escape is an error, and so is moving the cursor above
// the top of the window (a view taller than the screen garbles it).
type vt struct {
	cols, rows int
	lines      [][]rune
	row, col   int
	bottom     int  // the lowest row ever reached: the window is its last rows lines
	wrap       bool // the cursor sits past the last column (deferred wrap)
	sgr        int
	redraws    int
}

func emulate(out []byte, cols, rows int) (*vt, error) {
	v := &vt{cols: cols, rows: rows, lines: [][]rune{nil}}
	s := string(out)
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			n, err := v.escape(s[i:])
			if err != nil {
				return nil, fmt.Errorf("byte %d: %w", i, err)
			}
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		v.put(r)
		i += size
	}
	return v, nil
}

func (v *vt) put(r rune) {
	switch r {
	case '\r':
		v.col, v.wrap = 0, false
	case '\n':
		v.down()
		v.wrap = false
	default:
		if v.wrap {
			v.down()
			v.col, v.wrap = 0, false
		}
		line := v.lines[v.row]
		for len(line) <= v.col {
			line = append(line, ' ')
		}
		line[v.col] = r
		v.lines[v.row] = line
		if v.col == v.cols-1 {
			v.wrap = true
		} else {
			v.col++
		}
	}
}

func (v *vt) down() {
	v.row++
	for len(v.lines) <= v.row {
		v.lines = append(v.lines, nil)
	}
	v.bottom = max(v.bottom, v.row)
}

func (v *vt) escape(s string) (int, error) {
	if len(s) < 3 || s[1] != '[' {
		return 0, fmt.Errorf("unsupported escape %q", s[:min(len(s), 6)])
	}
	j := 2
	for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
		j++
	}
	if j == len(s) {
		return 0, errors.New("unterminated escape sequence")
	}
	param := s[2:j]
	switch s[j] {
	case 'm':
		v.sgr++
	case 'A':
		n, _ := strconv.Atoi(param)
		if top := max(0, v.bottom-v.rows+1); v.row-n < top {
			return 0, fmt.Errorf("cursor up %d from row %d leaves the window (top row %d)", n, v.row, top)
		}
		v.row, v.wrap = v.row-n, false
		v.redraws++
	case 'J':
		if param != "" && param != "0" {
			return 0, fmt.Errorf("unsupported erase %q", s[:j+1])
		}
		v.lines[v.row] = v.lines[v.row][:min(v.col, len(v.lines[v.row]))]
		for r := v.row + 1; r < len(v.lines); r++ {
			v.lines[r] = nil
		}
	default:
		return 0, fmt.Errorf("unsupported escape %q", s[:j+1])
	}
	return j + 1, nil
}

// text is the screen and its scrollback, without trailing blank lines.
func (v *vt) text() []string {
	var out []string
	for _, l := range v.lines {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func TestFitWidth(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"longer than ten", 10, "longer th…"},
		{"ünïcødé wide", 5, "ünïc…"},
		{"any", 0, ""},
		{"any", -3, ""},
	}
	for _, tt := range tests {
		if got := fitWidth(tt.in, tt.width); got != tt.want {
			t.Errorf("fitWidth(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}
