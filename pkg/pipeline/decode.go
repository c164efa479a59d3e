package pipeline

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// decoder fills Go values from a YAML node tree using the json tags of the
// schema types. It exists because sigs.k8s.io/yaml converts YAML to JSON
// first and so loses every line number: here each unknown field, wrong type
// and bad duration is reported at its own line, and all of them at once.
type decoder struct {
	*problems
}

var (
	durationType    = reflect.TypeOf(Duration(0))
	pauseType       = reflect.TypeOf(Pause{})
	rawType         = reflect.TypeOf(json.RawMessage(nil))
	unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// decode fills v from n; path names v for messages and the line table.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if _, seen := d.lines[path]; !seen {
		d.lines[path] = n.Line
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
		return
	}
	switch {
	case v.Type() == durationType:
		d.duration(n, v, path)
	case v.Type() == pauseType && n.Kind == yaml.ScalarNode:
		d.duration(n, v.Field(0), path)
	case v.Type() == rawType:
		d.raw(n, v, path)
	case n.Kind == yaml.ScalarNode && reflect.PointerTo(v.Type()).Implements(unmarshalerType):
		d.unmarshalJSON(n, v, path)
	case v.Kind() == reflect.Struct:
		d.structure(n, v, path)
	case v.Kind() == reflect.Slice:
		d.sequence(n, v, path)
	case v.Kind() == reflect.Map:
		d.mapping(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if !d.expect(n, yaml.MappingNode, path) {
		return
	}
	fields := jsonFields(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name := key.Value
		sub := join(path, name)
		if first, dup := seen[name]; dup {
			d.at(key.Line, "%s: field %q is set twice (first on line %d)", describe(path), name, first)
			continue
		}
		seen[name] = key.Line
		idx, ok := fields[name]
		if !ok {
			d.at(key.Line, "%s: unknown field %q%s", describe(path), name, suggest(name, fields))
			continue
		}
		d.lines[sub] = key.Line
		d.decode(val, v.Field(idx), sub)
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if !d.expect(n, yaml.SequenceNode, path) {
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		sub := fmt.Sprintf("%s[%d]", path, i)
		d.lines[sub] = item.Line
		d.decode(item, s.Index(i), sub)
	}
	v.Set(s)
}

// mapping fills a map[string]T. Values of a map[string]string take any
// scalar as its text, as `helm --set` does.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if !d.expect(n, yaml.MappingNode, path) {
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		sub := join(path, key.Value)
		if m.MapIndex(reflect.ValueOf(key.Value)).IsValid() {
			d.at(key.Line, "%s: key %q is set twice", describe(path), key.Value)
			continue
		}
		d.lines[sub] = key.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		if elem.Kind() == reflect.String && val.Kind == yaml.ScalarNode {
			elem.SetString(val.Value)
		} else {
			d.decode(val, elem, sub)
		}
		m.SetMapIndex(reflect.ValueOf(key.Value), elem)
	}
	v.Set(m)
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if !d.expect(n, yaml.ScalarNode, path) {
		return
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		if tag != "!!str" {
			d.at(n.Line, "%s: expected a string, got %s %q (quote it)", describe(path), tagName(tag), n.Value)
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if tag != "!!int" || err != nil {
			d.at(n.Line, "%s: expected an integer, got %s %q", describe(path), tagName(tag), n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if tag != "!!bool" || err != nil {
			d.at(n.Line, "%s: expected true or false, got %q", describe(path), n.Value)
			return
		}
		v.SetBool(b)
	default:
		d.at(n.Line, "%s: cannot decode into %s", describe(path), v.Type())
	}
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if !d.expect(n, yaml.ScalarNode, path) {
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.at(n.Line, "%s: invalid duration %q: use a number with a unit, like 30s, 5m or 1h", describe(path), n.Value)
		return
	}
	v.SetInt(int64(dur))
}

// unmarshalJSON hands a scalar to a type's own UnmarshalJSON, for schema
// types added later that bring their own parsing.
func (d *decoder) unmarshalJSON(n *yaml.Node, v reflect.Value, path string) {
	var raw []byte
	switch n.ShortTag() {
	case "!!int", "!!float", "!!bool":
		raw = []byte(strings.ToLower(n.Value))
	default:
		raw, _ = json.Marshal(n.Value)
	}
	if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
		d.at(n.Line, "%s: %v", describe(path), err)
	}
}

// raw keeps a free-form subtree (an embedded Kubernetes spec) as JSON; the
// consumer checks it against its own schema.
func (d *decoder) raw(n *yaml.Node, v reflect.Value, path string) {
	var x any
	if err := n.Decode(&x); err != nil {
		d.at(n.Line, "%s: %v", describe(path), err)
		return
	}
	b, err := json.Marshal(x)
	if err != nil {
		d.at(n.Line, "%s: %v", describe(path), err)
		return
	}
	v.SetBytes(b)
}

// expect reports a node of the wrong kind; it returns whether n is of kind k.
func (d *decoder) expect(n *yaml.Node, k yaml.Kind, path string) bool {
	if n.Kind == k {
		return true
	}
	d.at(n.Line, "%s: expected %s, got %s", describe(path), kindName(k), nodeName(n))
	return false
}

// jsonFields maps each json field name of t to its field index.
func jsonFields(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = i
	}
	return fields
}

// suggest offers the closest known field for a typo.
func suggest(name string, fields map[string]int) string {
	best, bestDist := "", 3
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if d := distance(strings.ToLower(name), strings.ToLower(f)); d < bestDist {
			best, bestDist = f, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Sprintf(" (known fields: %s)", strings.Join(names, ", "))
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// describe names a field path for a message; the top level is "pipeline".
func describe(path string) string {
	if path == "" {
		return "pipeline"
	}
	return path
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping (key: value)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "a document"
}

func nodeName(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%s %q", tagName(n.ShortTag()), n.Value)
	}
	return strings.TrimPrefix(strings.TrimPrefix(kindName(n.Kind), "a "), "an ")
}

func tagName(tag string) string {
	switch tag {
	case "!!str":
		return "string"
	case "!!int":
		return "integer"
	case "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	case "!!null":
		return "null"
	}
	return strings.TrimPrefix(tag, "!!")
}
