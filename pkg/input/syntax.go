package input

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
)

// parserProblems are the messages of go-yaml's parser (as opposed to its
// scanner). For these, go-yaml (v2 and v3, and so sigs.k8s.io/yaml and
// kustomize) prints a 0-based line — one too low — and no line at all for
// the first line.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

var syntaxMessage = regexp.MustCompile(`^(?:line (\d+): )?(.*)$`)

// SyntaxLine returns the 1-based line and the message of a go-yaml syntax
// error message with its "yaml: " prefix removed ("line 3: did not find
// expected key"); line is 0 when the message has none and is not one the
// line can be worked out for.
func SyntaxLine(msg string) (line int, problem string) {
	m := syntaxMessage.FindStringSubmatch(msg)
	line, _ = strconv.Atoi(m[1])
	problem = m[2]
	if parserProblems[problem] {
		line++
	}
	return line, problem
}

// Syntax returns where go-yaml v2's parser finds data invalid: the line of
// the offending token (where v3 names the start of the enclosing block, which
// is far from the mistake) and the problem. ok is false for valid YAML.
// Check aliases first: this parse expands them.
func Syntax(data []byte) (line int, problem string, ok bool) {
	var v interface{}
	err := yamlv2.Unmarshal(data, &v)
	if err == nil {
		return 0, "", false
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, problem = SyntaxLine(msg)
	return LastLine(data, line), problem, true
}

// LastLine keeps a reported line within data: a parser that reaches the end
// of the stream looking for a closing bracket reports the line after the
// last one, where nothing can be fixed.
func LastLine(data []byte, line int) int {
	n := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	if line > n && n > 0 {
		return n
	}
	return line
}
