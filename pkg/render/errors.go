package render

import (
	"fmt"
	"regexp"
)

// yamlLine matches the line number in the YAML parsers' messages, after the
// wrappers sigs.k8s.io/yaml adds.
var yamlLine = regexp.MustCompile(`^(?:error converting YAML to JSON: )?(?:yaml: )?line (\d+): (.*)$`)

// yamlError places a YAML parser error at file:line when the parser gave a
// line, so editors and terminals can jump to it.
func yamlError(file string, err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: %s", file, m[1], m[2])
	}
	return fmt.Errorf("%s: %w", file, err)
}
