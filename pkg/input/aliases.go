package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// CheckAliases refuses YAML whose aliases would expand to more than
// limits.MaxAliasNodes extra nodes, or that refers to itself. YAML parsers
// that copy aliased nodes (kustomize's among them) otherwise take gigabytes
// and minutes on a few lines. The check keeps aliases unexpanded, so its
// cost follows the file's size. Content that is not YAML passes: the real
// parser reports it.
func CheckAliases(path string, data []byte, limits Limits) error {
	if !bytes.ContainsRune(data, '*') {
		return nil
	}
	max := limits.orDefault().MaxAliasNodes
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			return nil
		}
		c := &counter{size: map[*yaml.Node]int{}, max: max}
		if c.count(&doc); c.bad != nil {
			return exitcode.With(exitcode.BadInput, &AliasError{Path: path, Line: c.bad.Line, Recursive: c.recursive, Limit: max})
		}
	}
}

// AliasError is YAML whose aliases expand too far.
type AliasError struct {
	Path      string
	Line      int
	Recursive bool
	Limit     int
}

func (e *AliasError) Error() string {
	if e.Recursive {
		return fmt.Sprintf("%s:%d: a YAML alias refers to the node that contains it", e.Path, e.Line)
	}
	return fmt.Sprintf("%s:%d: YAML aliases expand to more than %d nodes (an alias bomb?): write the values out or use fewer aliases",
		e.Path, e.Line, e.Limit)
}

// counter measures the expanded size of a node tree, each aliased node
// once.
type counter struct {
	size      map[*yaml.Node]int // expanded size; -1 while being counted
	expanded  int                // nodes that aliases add
	max       int
	bad       *yaml.Node
	recursive bool
}

// count returns n's expanded size, stopping at the first excess.
func (c *counter) count(n *yaml.Node) int {
	if c.bad != nil {
		return 0
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		s := c.measure(n.Alias, n)
		c.expanded += s
		if c.expanded > c.max && c.bad == nil {
			c.bad = n
		}
		return s
	}
	return c.measure(n, n)
}

// measure is count memoised per node; at is the node to report.
func (c *counter) measure(n, at *yaml.Node) int {
	switch s, seen := c.size[n]; {
	case seen && s < 0:
		c.bad, c.recursive = at, true
		return 0
	case seen:
		return s
	}
	c.size[n] = -1
	total := 1
	for _, child := range n.Content {
		total = saturate(total + c.count(child))
	}
	c.size[n] = total
	return total
}

// saturate keeps sums of huge expansions from overflowing.
func saturate(n int) int {
	const ceiling = 1 << 40
	if n > ceiling || n < 0 {
		return ceiling
	}
	return n
}
