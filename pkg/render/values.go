package render

import (
	"fmt"
	"sort"

	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"
)

// mergeValues layers the values files (later wins, maps merged key by key)
// and then the set values, as `helm template -f A -f B --set k=v` does.
func mergeValues(b bounds, files []string, set map[string]string) (map[string]interface{}, error) {
	base := map[string]interface{}{}
	for _, f := range files {
		m, err := readValues(b, f)
		if err != nil {
			return nil, err
		}
		base = mergeMaps(base, m)
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := strvals.ParseInto(k+"="+set[k], base); err != nil {
			return nil, fmt.Errorf("set %s=%s: %w", k, set[k], err)
		}
	}
	return base, nil
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

// mergeMaps is Helm's values merge: maps merge recursively, anything else
// in b replaces a's value.
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]interface{}); ok {
			if am, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
