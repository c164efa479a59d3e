package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kubectl-promote/kubectl-promote/pkg/input"
)

// yamlSyntax finds the line and problem in a YAML parser's message, after
// the wrappers sigs.k8s.io/yaml adds; line is 0 when there is none. The
// line is corrected where go-yaml reports one too low.
func yamlSyntax(msg string) (line int, problem string) {
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	return input.SyntaxLine(msg)
}

// yamlError places a YAML parser error in data at file:line when the
// parser gave a line, so editors and terminals can jump to it.
func yamlError(file string, data []byte, err error) error {
	if line, problem := yamlSyntax(err.Error()); line > 0 {
		line = input.LastLine(data, line)
		return fmt.Errorf("%s:%d: %s", file, line, problem)
	}
	return fmt.Errorf("%s: %w", file, err)
}

// lineText is a corrected line for messages built from kustomize's about
// file.
func lineText(file, line, problem string) (string, string) {
	n, p := yamlSyntax("line " + line + ": " + problem)
	if data, err := input.ReadFile(file, input.DefaultLimits()); err == nil {
		n = input.LastLine(data, n)
	}
	return strconv.Itoa(n), p
}
