package diff

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// DefaultContext is the number of unchanged lines around each change.
const DefaultContext = 3

// TextOptions configures WriteText.
type TextOptions struct {
	// Context is the number of unchanged lines around each change (-U).
	Context int
	// Color adds ANSI colours; the caller decides (terminal, NO_COLOR).
	Color bool
}

// ANSI colours of the text output.
const (
	bold  = "\x1b[1m"
	red   = "\x1b[31m"
	green = "\x1b[32m"
	cyan  = "\x1b[36m"
	reset = "\x1b[0m"
)

// WriteText writes a header per created, configured or deleted object
// ("Deployment/shop-dev/web configured") followed by unified hunks of its
// YAML, and closes with the summary line. Unchanged objects only count in
// the summary. An object that takes over fields of other field managers
// (drift, see Options.Drift) gets a line naming them and saying that
// apply needs --force-conflicts.
func WriteText(w io.Writer, cs *ChangeSet, o TextOptions) error {
	bw := bufio.NewWriter(w)
	p := printer{w: bw, color: o.Color}
	for _, c := range cs.Changes {
		if c.Action == Unchanged {
			continue
		}
		if err := p.change(c, max(0, o.Context)); err != nil {
			return err
		}
	}
	fmt.Fprintln(bw, cs.Summary())
	return bw.Flush()
}

type printer struct {
	w     io.Writer
	color bool
}

func (p printer) paint(color, s string) string {
	if !p.color {
		return s
	}
	return color + s + reset
}

func (p printer) change(c Change, context int) error {
	old, err := toYAML(c.Live)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Ref, err)
	}
	new, err := toYAML(c.Desired)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Ref, err)
	}
	fmt.Fprintln(p.w, p.paint(bold, c.Ref.String()+" "+string(c.Action)))
	for _, h := range hunks(diffLines(old, new), context) {
		fmt.Fprintln(p.w, p.paint(cyan, h.header()))
		for _, l := range h.lines {
			text := string(l.op) + l.text
			switch l.op {
			case '-':
				text = p.paint(red, text)
			case '+':
				text = p.paint(green, text)
			}
			fmt.Fprintln(p.w, text)
		}
	}
	if len(c.Conflicts) > 0 {
		fmt.Fprintln(p.w, p.paint(red, DriftLine(c)))
	}
	return nil
}

// DriftLine says which fields of c other field managers own and that
// apply needs --force-conflicts to take them over:
// `Deployment/shop/web: drift: .spec.replicas owned by field manager "kubectl-scale": apply needs --force-conflicts to take it over`.
func DriftLine(c Change) string {
	parts := make([]string, len(c.Conflicts))
	n := 0
	for i, k := range c.Conflicts {
		parts[i] = fmt.Sprintf("%s owned by field manager %q", strings.Join(k.Fields, ", "), k.Manager)
		n += len(k.Fields)
	}
	them := "it"
	if n > 1 {
		them = "them"
	}
	return c.Ref.String() + ": drift: " + strings.Join(parts, "; ") + ": apply needs --force-conflicts to take " + them + " over"
}

// toYAML renders u with sorted keys; nil is the empty text.
func toYAML(u *unstructured.Unstructured) (string, error) {
	if u == nil {
		return "", nil
	}
	b, err := yaml.Marshal(u.Object)
	return string(b), err
}
