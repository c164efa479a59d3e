package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/input"
)

// Find returns the pipeline file in dir or the nearest parent that has one,
// the way git finds its repository.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", exitcode.With(exitcode.BadInput, fmt.Errorf("find %s: %w", FileName, err))
	}
	for d := abs; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, FileName)
		fi, err := os.Stat(candidate)
		switch {
		case err == nil && fi.IsDir():
			// Looking further up would silently use another pipeline.
			return "", exitcode.With(exitcode.BadInput, fmt.Errorf(
				"%s is a directory, not a pipeline file: rename it, or pass -f FILE", candidate))
		case err == nil:
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", exitcode.With(exitcode.BadInput, fmt.Errorf(
		"no %s in %s or any parent directory: run `kubectl promote init` to write one, or pass -f FILE", FileName, abs))
}

// Load reads and strictly decodes the pipeline file at path, within the
// default input limits (size, aliases). Problems name path as given, so
// pass the path the user would recognise.
func Load(path string) (*Pipeline, error) {
	data, err := input.ReadFile(path, input.DefaultLimits())
	if err != nil {
		return nil, fmt.Errorf("read pipeline file: %w", err)
	}
	return Parse(path, data)
}

// Parse strictly decodes a pipeline file's content: unknown fields, wrong
// types, bad durations and an unsupported apiVersion or kind are all
// reported together, each at its line. It does not Validate.
func Parse(path string, data []byte) (*Pipeline, error) {
	ps := &problems{file: path, lines: map[string]int{"": 1}}
	// The decoder follows aliases, so an alias bomb must be refused first.
	if err := input.CheckAliases(path, data, input.DefaultLimits()); err != nil {
		return nil, err
	}
	root, err := parseDocument(data)
	if err != nil {
		return nil, exitcode.With(exitcode.BadInput, syntaxProblem(path, data, err))
	}
	p := &Pipeline{Path: path}
	(&decoder{ps}).decode(root, reflect.ValueOf(p).Elem(), "")
	checkHeader(p, ps)
	p.Lines = ps.lines
	if len(ps.list) > 0 {
		return nil, exitcode.With(exitcode.BadInput, sorted(ps.list))
	}
	return p, nil
}

// parseDocument returns the content of the file's single YAML document.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty")
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("yaml: line %d: a pipeline file holds one YAML document; remove the second (after ---)", extra.Line)
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("the file is empty")
	}
	return doc.Content[0], nil
}

// syntaxProblem turns a YAML parser error into file:line: message, at the
// line of the offending token when go-yaml v2 finds the same file invalid.
func syntaxProblem(path string, data []byte, err error) Problem {
	msg, ok := strings.CutPrefix(err.Error(), "yaml: ")
	if !ok {
		return Problem{File: path, Message: msg}
	}
	line, problem := input.SyntaxLine(msg)
	if l, p, bad := input.Syntax(data); bad && l > 0 && p == problem {
		line = l
	}
	return Problem{File: path, Line: line, Message: "invalid YAML: " + problem}
}

// checkHeader checks apiVersion and kind.
func checkHeader(p *Pipeline, ps *problems) {
	switch p.APIVersion {
	case APIVersion:
	case "":
		ps.field("apiVersion", "apiVersion is missing: add `apiVersion: %s`", APIVersion)
	default:
		ps.field("apiVersion", "apiVersion %q is not supported by this version of kubectl-promote; use %s", p.APIVersion, APIVersion)
	}
	switch p.Kind {
	case Kind:
	case "":
		ps.field("kind", "kind is missing: add `kind: %s`", Kind)
	default:
		ps.field("kind", "kind %q is not a pipeline; use `kind: %s`", p.Kind, Kind)
	}
}

// sorted orders problems by line, keeping file-level ones first.
func sorted(list ProblemList) ProblemList {
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	return list
}
