package analysis

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Vars are the template variables of queries, URLs, bodies and job specs:
// {{env}}, {{namespace}}, {{canaryRevision}}, {{stableRevision}}, {{image}}.
type Vars struct {
	Env            string
	Namespace      string
	CanaryRevision int
	StableRevision int
	// Image is the first image of the new release.
	Image string
}

func (v Vars) pairs(quote func(string) string) []string {
	out := []string{}
	for _, kv := range [][2]string{
		{"env", v.Env}, {"namespace", v.Namespace}, {"image", v.Image},
		{"canaryRevision", strconv.Itoa(v.CanaryRevision)}, {"stableRevision", strconv.Itoa(v.StableRevision)},
	} {
		val := quote(kv[1])
		out = append(out, "{{"+kv[0]+"}}", val, "{{ "+kv[0]+" }}", val)
	}
	return out
}

// Expand replaces the variables in s.
func (v Vars) Expand(s string) string {
	return strings.NewReplacer(v.pairs(func(s string) string { return s })...).Replace(s)
}

// ExpandJSON replaces the variables inside the strings of a JSON document,
// escaping the values as JSON string content.
func (v Vars) ExpandJSON(doc []byte) []byte {
	esc := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b[1 : len(b)-1])
	}
	return []byte(strings.NewReplacer(v.pairs(esc)...).Replace(string(doc)))
}
