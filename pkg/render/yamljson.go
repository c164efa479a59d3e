package render

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v2"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// decodeYAML decodes one YAML document into JSON types, giving what
// sigs.k8s.io/yaml.YAMLToJSON followed by apimachinery's json.Unmarshal
// (the way kubectl reads manifests) gives, without building and parsing
// the JSON in between, which was most of the cost of reading a large
// Helm render. TestDecodeYAMLMatchesYAMLToJSON holds the two together.
func decodeYAML(doc []byte) (interface{}, error) {
	var v interface{}
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	return toJSONValue(v)
}

// toJSONValue converts go-yaml's types as a JSON round trip would.
func toJSONValue(v interface{}) (interface{}, error) {
	switch v := v.(type) {
	case nil, bool, string:
		if s, ok := v.(string); ok && !utf8.ValidString(s) {
			return viaJSON(s)
		}
		return v, nil
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(v))
		for k, val := range v {
			key, err := jsonKey(k, val)
			if err != nil {
				return nil, err
			}
			if m[key], err = toJSONValue(val); err != nil {
				return nil, err
			}
		}
		return m, nil
	case []interface{}:
		out := make([]interface{}, len(v))
		for i, e := range v {
			var err error
			if out[i], err = toJSONValue(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), nil
		}
		return float64(v), nil
	case float64:
		return jsonNumber(v)
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	}
	return viaJSON(v)
}

// jsonNumber is a float after json.Marshal and a decode that prefers
// int64: integral values JSON writes without exponent become int64.
func jsonNumber(f float64) (interface{}, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 && f >= math.MinInt64 && f < math.MaxInt64 {
		return int64(f), nil
	}
	return f, nil
}

// jsonKey is sigs.k8s.io/yaml's conversion of a YAML key to a JSON one.
func jsonKey(k, v interface{}) (string, error) {
	switch k := k.(type) {
	case string:
		return k, nil
	case int:
		return strconv.Itoa(k), nil
	case int64:
		return strconv.FormatInt(k, 10), nil
	case float64:
		switch s := strconv.FormatFloat(k, 'g', -1, 32); s {
		case "+Inf":
			return ".inf", nil
		case "-Inf":
			return "-.inf", nil
		case "NaN":
			return ".nan", nil
		default:
			return s, nil
		}
	case bool:
		return strconv.FormatBool(k), nil
	}
	return "", fmt.Errorf("unsupported map key of type: %T, key: %+#v, value: %+#v", k, k, v)
}

// viaJSON converts anything else the slow, exact way.
func viaJSON(v interface{}) (interface{}, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out interface{}
	err = utiljson.Unmarshal(b, &out)
	return out, err
}
