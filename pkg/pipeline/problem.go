package pipeline

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong in a pipeline file.
type Problem struct {
	// File is the pipeline file as the user named it.
	File string
	// Line is 1-based; 0 when unknown.
	Line int
	// Message says what is wrong and, where it can, how to fix it.
	Message string
}

// Error formats the problem as file:line: message.
func (p Problem) Error() string {
	switch {
	case p.File == "":
		return p.Message
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

// ProblemList is every problem found in one pipeline file, in file order.
type ProblemList []Problem

// Error prints one problem per line, preceded by a count when there are
// several, so that each line can be read by an editor as file:line.
func (l ProblemList) Error() string {
	if len(l) == 1 {
		return l[0].Error()
	}
	lines := make([]string, 0, len(l)+1)
	file := "pipeline file"
	if len(l) > 0 && l[0].File != "" {
		file = l[0].File
	}
	lines = append(lines, fmt.Sprintf("%s: %d problems", file, len(l)))
	for _, p := range l {
		lines = append(lines, "  "+p.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns each problem, for errors.Is and errors.As.
func (l ProblemList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, p := range l {
		errs[i] = p
	}
	return errs
}

// problems collects Problems for one file.
type problems struct {
	file  string
	list  ProblemList
	lines map[string]int
}

// at records a problem at a known line.
func (ps *problems) at(line int, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// field records a problem at the line of a field path, or of its nearest
// parent that has one.
func (ps *problems) field(path string, format string, args ...any) {
	ps.at(lineOf(ps.lines, path), format, args...)
}

// lineOf finds the line of path, walking up to parents for fields that are
// missing from the file.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return lines[""]
}
