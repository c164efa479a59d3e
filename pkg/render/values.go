package render

import (
	"fmt"
	"maps"
	"os"
	"slices"

	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/pkg/input"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// helmValues are a Helm source's values options, paths resolved: what
// `helm template -f … --set-json … --set … --set-string … --set-file …`
// is given.
type helmValues struct {
	files     []string
	set       map[string]string
	setString map[string]string
	setJSON   map[string]string
	setFile   map[string]string // key → resolved path
}

// setKinds are the `--set` flavours in the order Helm applies them, each
// with the parser that checks one entry alone.
var setKinds = []struct {
	field string
	of    func(v *helmValues) map[string]string
	parse func(entry string) error
}{
	{"setJSON", func(v *helmValues) map[string]string { return v.setJSON }, func(e string) error {
		return strvals.ParseJSON(e, map[string]interface{}{})
	}},
	{"set", func(v *helmValues) map[string]string { return v.set }, func(e string) error {
		return strvals.ParseInto(e, map[string]interface{}{})
	}},
	{"setString", func(v *helmValues) map[string]string { return v.setString }, func(e string) error {
		return strvals.ParseIntoString(e, map[string]interface{}{})
	}},
	{"setFile", func(v *helmValues) map[string]string { return v.setFile }, func(e string) error {
		return strvals.ParseIntoFile(e, map[string]interface{}{}, func([]rune) (interface{}, error) { return "", nil })
	}},
}

// newHelmValues resolves and checks the values options of src: every file
// exists inside the repository, every set entry parses, each problem at
// its line in the pipeline file.
func newHelmValues(p *pipeline.Pipeline, env *pipeline.Environment, t target, src *pipeline.HelmSource) (helmValues, error) {
	v := helmValues{set: src.Set, setString: src.SetString, setJSON: src.SetJSON, setFile: map[string]string{}}
	for i, f := range src.Values {
		path := resolve(p, f)
		if err := checkInputFile(p, env, t, fmt.Sprintf("source.helm.values[%d]", i), "values file", path); err != nil {
			return v, err
		}
		v.files = append(v.files, path)
	}
	for _, key := range slices.Sorted(maps.Keys(src.SetFile)) {
		path := resolve(p, src.SetFile[key])
		if err := checkInputFile(p, env, t, "source.helm.setFile."+key, "setFile file", path); err != nil {
			return v, err
		}
		v.setFile[key] = path
	}
	for _, kind := range setKinds {
		m := kind.of(&v)
		for _, key := range slices.Sorted(maps.Keys(m)) {
			if err := kind.parse(key + "=" + m[key]); err != nil {
				return v, sourceError(p, env, "source.helm."+kind.field+"."+key, "%s %s: %v", kind.field, key, err)
			}
		}
	}
	return v, nil
}

func checkInputFile(p *pipeline.Pipeline, env *pipeline.Environment, t target, field, what, path string) error {
	if _, err := os.Stat(path); err != nil {
		return sourceError(p, env, field, "%s %s does not exist (paths are relative to the pipeline file)", what, path)
	}
	return confine(p, env, t, field, path)
}

// merge layers the values exactly as `helm template` does, with Helm's own
// values.Options: files in order (maps merge key by key, anything else is
// replaced), then setJSON, set, setString and setFile entries. The files
// are read within bounds first, so a bad one is refused with its line
// before Helm reads it.
func (v helmValues) merge(b bounds) (map[string]interface{}, error) {
	for _, f := range v.files {
		if _, err := readValues(b, f); err != nil {
			return nil, err
		}
	}
	for key, f := range v.setFile {
		if err := b.confine(f); err != nil {
			return nil, err
		}
		if _, err := input.ReadFile(f, b.limits); err != nil {
			return nil, fmt.Errorf("setFile %s: %w", key, err)
		}
	}
	opts := values.Options{
		ValueFiles:   v.files,
		JSONValues:   entries(v.setJSON),
		Values:       entries(v.set),
		StringValues: entries(v.setString),
		FileValues:   entries(v.setFile),
	}
	// No getters: a values path is a file, never fetched from a URL.
	return opts.MergeValues(getter.Providers{})
}

// entries turns key → value into Helm's KEY=VALUE flag values, keys sorted.
func entries(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

// readValues reads one values file, which must hold a YAML mapping,
// within bounds.
func readValues(bnd bounds, file string) (map[string]interface{}, error) {
	b, err := bnd.readFile(file)
	if err != nil {
		return nil, fmt.Errorf("values file: %w", err)
	}
	var v interface{}
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, yamlError(file, b, err)
	}
	switch v := v.(type) {
	case nil:
		return map[string]interface{}{}, nil
	case map[string]interface{}:
		return v, nil
	}
	return nil, fmt.Errorf("%s: values must be a YAML mapping of keys to values, not %s", file, describeYAML(v))
}

func describeYAML(v interface{}) string {
	switch v.(type) {
	case []interface{}:
		return "a list"
	case string:
		return "a string"
	}
	return fmt.Sprintf("a %T", v)
}
