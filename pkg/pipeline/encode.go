package pipeline

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Marshal writes p as promote.yaml, fields in schema order (name first,
// then from, cluster, namespace, source…) rather than the alphabetical order
// of JSON-based encoders, leaving out what is unset. header, when not empty,
// becomes a comment at the top of the file.
func Marshal(p *Pipeline, header string) ([]byte, error) {
	root := encode(reflect.ValueOf(p).Elem())
	if header != "" {
		root.HeadComment = header
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encode turns v into a YAML node using the json tags of the schema types.
func encode(v reflect.Value) *yaml.Node {
	switch {
	case v.Type() == durationType:
		return scalarNode("!!str", Duration(v.Int()).String())
	case v.Type() == pauseType && v.Field(0).Int() != 0:
		return encode(v.Field(0)) // the `pause: 30s` shorthand
	case v.Kind() == reflect.Pointer:
		return encode(v.Elem())
	case v.Kind() == reflect.Struct:
		return encodeStruct(v)
	case v.Kind() == reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i := 0; i < v.Len(); i++ {
			n.Content = append(n.Content, encode(v.Index(i)))
		}
		return n
	case v.Kind() == reflect.Map:
		return encodeMap(v)
	case v.Kind() == reflect.Bool:
		return scalarNode("!!bool", strconv.FormatBool(v.Bool()))
	case v.Kind() == reflect.Int:
		return scalarNode("!!int", strconv.FormatInt(v.Int(), 10))
	}
	return scalarNode("!!str", v.String())
}

func encodeStruct(v reflect.Value) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		fv := v.Field(i)
		if !f.IsExported() || name == "-" || skip(fv, strings.Contains(opts, "omitempty")) {
			continue
		}
		n.Content = append(n.Content, scalarNode("!!str", name), encode(fv))
	}
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

// skip leaves out unset fields; a set pointer is kept even when it points at
// a zero value, because `pause: {}` means something.
func skip(v reflect.Value, omitEmpty bool) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return v.IsNil()
	case reflect.Struct:
		return v.IsZero()
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return omitEmpty && v.IsZero()
}

func encodeMap(v reflect.Value) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	for _, k := range keys {
		n.Content = append(n.Content, scalarNode("!!str", k.String()), encode(v.MapIndex(k)))
	}
	return n
}

func scalarNode(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}
