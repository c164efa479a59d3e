package diff

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// line is one line of a unified diff: op is ' ', '-' or '+'.
type line struct {
	op   byte
	text string
}

// hunk is a run of lines with its position in both texts (1-based).
type hunk struct {
	oldStart, oldLines int
	newStart, newLines int
	lines              []line
}

func (h hunk) header() string {
	return fmt.Sprintf("@@ -%s +%s @@", span(h.oldStart, h.oldLines), span(h.newStart, h.newLines))
}

// span writes a hunk range as unified diff does: "start,count", with the
// start one before the first line when the range is empty.
func span(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start-1)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// diffLines diffs two texts line by line with go-diff's line mode.
func diffLines(old, new string) []line {
	dmp := diffmatchpatch.New()
	a, b, index := dmp.DiffLinesToChars(old, new)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), index)
	var out []line
	for _, d := range diffs {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		for _, text := range strings.SplitAfter(d.Text, "\n") {
			if text != "" {
				out = append(out, line{op, strings.TrimSuffix(text, "\n")})
			}
		}
	}
	return out
}

// hunks groups changed lines with up to context unchanged lines around
// them; changes at most twice the context apart share a hunk, as in GNU
// diff -U.
func hunks(lines []line, context int) []hunk {
	oldBefore, newBefore := make([]int, len(lines)+1), make([]int, len(lines)+1)
	for i, l := range lines {
		oldBefore[i+1], newBefore[i+1] = oldBefore[i], newBefore[i]
		if l.op != '+' {
			oldBefore[i+1]++
		}
		if l.op != '-' {
			newBefore[i+1]++
		}
	}
	var out []hunk
	from, to := -1, -1 // the open range, lines[from:to]
	flush := func() {
		if from < 0 {
			return
		}
		out = append(out, hunk{
			oldStart: oldBefore[from] + 1, oldLines: oldBefore[to] - oldBefore[from],
			newStart: newBefore[from] + 1, newLines: newBefore[to] - newBefore[from],
			lines: lines[from:to],
		})
	}
	for i, l := range lines {
		if l.op == ' ' {
			continue
		}
		lo, hi := max(0, i-context), min(len(lines), i+context+1)
		if from >= 0 && lo <= to {
			to = hi
			continue
		}
		flush()
		from, to = lo, hi
	}
	flush()
	return out
}
