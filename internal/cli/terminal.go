package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// liveTerminal tells whether stderr can take a live view: a terminal that
// understands cursor movement (TERM is not "dumb").
func (g *GlobalOptions) liveTerminal() bool {
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := g.ErrOut.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// SGR colours of the terminal printer.
const (
	sgrBold   = "1"
	sgrRed    = "31"
	sgrGreen  = "32"
	sgrYellow = "33"
	sgrDim    = "2"
)

// maxViewWorkloads bounds the workloads the live view lists, and
// maxObjectColumn the width their names are aligned to.
const (
	maxViewWorkloads = 12
	maxObjectColumn  = 36
)

// terminalProgress prints a deploy on a terminal: the same timestamped lines
// as the plain printer (coloured when colour is on) scroll by, and below them,
// when live, a compact view — environment, phase, elapsed time, the watch's
// latest message, per-workload ready/updated/desired and the newest failure —
// is redrawn in place on every watch event. A redraw moves the cursor up
// exactly the lines it drew last time and erases to the end of the screen;
// view lines are cut to the terminal's width so none wraps and the count
// stays true.
type terminalProgress struct {
	mu    sync.Mutex
	w     io.Writer
	env   string
	live  bool
	color bool
	// size is the terminal's width and height.
	size func() (int, int)

	last      string // the last line printed, to skip repeats
	start     time.Time
	at        time.Time
	phase     string
	status    string
	workloads []watch.WorkloadStatus
	failure   string
	drawn     int // lines of the view on screen now
}

func newTerminalProgress(w io.Writer, env string, live, color bool) *terminalProgress {
	return &terminalProgress{w: w, env: env, live: live, color: color, size: termSize(w)}
}

// termSize reads w's size on every call (the window may be resized), with
// 80×24 when it cannot tell.
func termSize(w io.Writer) func() (int, int) {
	return func() (int, int) {
		if f, ok := w.(*os.File); ok {
			if width, height, err := term.GetSize(int(f.Fd())); err == nil && width > 0 && height > 0 {
				return width, height
			}
		}
		return 80, 24
	}
}

func (p *terminalProgress) event(e promote.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.observe(e)
	if p.live && e.Watch != nil && e.Watch.Type == watch.EventProgress {
		p.erase()
		p.redraw()
		return
	}
	p.erase()
	p.line(e)
	p.redraw()
}

// observe keeps what the view shows.
func (p *terminalProgress) observe(e promote.Event) {
	if p.start.IsZero() {
		p.start = e.Time
	}
	p.at, p.phase, p.status = e.Time, e.Phase, e.Message
	if w := e.Watch; w != nil {
		if len(w.Workloads) > 0 {
			p.workloads = w.Workloads
		}
		if w.Type == watch.EventFailure {
			p.failure = w.Message
		}
	}
}

// line prints e as the plain printer does, coloured.
func (p *terminalProgress) line(e promote.Event) {
	text := e.Phase + ": " + e.Message
	if text == p.last {
		return
	}
	p.last = text
	msg := e.Message
	switch {
	case e.Watch != nil && e.Watch.Type == watch.EventFailure:
		msg = p.paint(sgrRed, msg)
	case e.Watch != nil && e.Watch.Type == watch.EventHealthy, e.Phase == "done" && !strings.HasPrefix(msg, "warning: "):
		msg = p.paint(sgrGreen, msg)
	case strings.HasPrefix(msg, "warning: "):
		msg = p.paint(sgrYellow, msg)
	}
	fmt.Fprintf(p.w, "%s %s: %s\n", p.paint(sgrDim, e.Time.Format("15:04:05")), p.paint(sgrBold, e.Phase), msg)
}

func (p *terminalProgress) result(req promote.Request, res *promote.Result, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
	line := resultLine(req, res, err)
	switch {
	case err != nil && exitcode.Code(err) == exitcode.RolledBack:
		line = p.paint(sgrYellow, line)
	case err != nil:
		line = p.paint(sgrRed, line)
	case !req.DryRun:
		line = p.paint(sgrGreen, line)
	}
	fmt.Fprintln(p.w, line)
}

// erase removes the view: up to its first line, then clear to the end.
func (p *terminalProgress) erase() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA\r\x1b[J", p.drawn)
		p.drawn = 0
	}
}

// redraw draws the view below the cursor, each line cut to the width and
// the whole kept shorter than the screen.
func (p *terminalProgress) redraw() {
	if !p.live || len(p.workloads) == 0 && p.failure == "" {
		return
	}
	width, height := p.size()
	lines := p.view(width - 1)
	if room := height - 1; len(lines) > room {
		lines = lines[:max(room, 0)]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\n")
	}
	io.WriteString(p.w, b.String())
	p.drawn = len(lines)
}

// view renders the view's lines, each at most width columns of text.
func (p *terminalProgress) view(width int) []string {
	head := fmt.Sprintf("%s · %s · %s · %s", p.orDash(p.env), p.phase, p.at.Sub(p.start).Round(time.Second), p.status)
	lines := []string{p.paint(sgrBold, fitWidth(head, width))}
	pad := 0
	for _, w := range p.workloads {
		pad = max(pad, min(len(w.Object), maxObjectColumn))
	}
	for i, w := range p.workloads {
		if i == maxViewWorkloads {
			lines = append(lines, fitWidth(fmt.Sprintf("  … and %d more", len(p.workloads)-i), width))
			break
		}
		lines = append(lines, p.workloadLine(w, pad, width))
	}
	if p.failure != "" {
		lines = append(lines, p.paint(sgrRed, fitWidth("  ✗ "+p.failure, width)))
	}
	return lines
}

func (p *terminalProgress) orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// workloadLine is "  ✓ Deployment/ns/web  3/3 ready  3/3 updated  Current".
func (p *terminalProgress) workloadLine(w watch.WorkloadStatus, pad, width int) string {
	mark, colour := "·", sgrYellow
	switch w.Status {
	case "Current":
		mark, colour = "✓", sgrGreen
	case "Failed":
		mark, colour = "✗", sgrRed
	case "InProgress":
		mark = "…"
	}
	text := fmt.Sprintf("%-*s", pad, w.Object)
	if w.Desired > 0 || w.Updated > 0 || w.Ready > 0 {
		text += fmt.Sprintf("  %d/%d ready  %d/%d updated", w.Ready, w.Desired, w.Updated, w.Desired)
	}
	text += "  " + w.Status
	if w.Message != "" && w.Status != "Current" {
		text += ": " + w.Message
	}
	return p.paint(colour, "  "+mark) + " " + fitWidth(text, width-4)
}

// fitWidth cuts s to width runes, marking the cut with "…".
func fitWidth(s string, width int) string {
	r := []rune(s)
	switch {
	case len(r) <= width:
		return s
	case width < 1:
		return ""
	}
	return string(r[:width-1]) + "…"
}

// paint wraps s in an SGR colour when colour is on.
func (p *terminalProgress) paint(sgr, s string) string {
	if !p.color || s == "" {
		return s
	}
	return "\x1b[" + sgr + "m" + s + "\x1b[0m"
}
