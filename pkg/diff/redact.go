package diff

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// minSecretLen is the shortest form of a Secret value that the Redactor
// hides wherever it appears in other text. Shorter ones ("1", "true"
// is not, "no" is) would blank out unrelated words and numbers, so they
// are hidden only where they stand as a whole value after their own key
// (see keyedPattern).
const minSecretLen = 4

// Redactor hides the values of Secrets in free text: error messages, log
// lines, warnings and annotations. MaskSecrets covers the fields where
// values belong; the Redactor covers everything else that might echo
// them. It is safe for concurrent use, and Add may grow it at any time.
type Redactor struct {
	mu     sync.RWMutex
	values []string         // longest first, so no value is left half-replaced
	keyed  []*regexp.Regexp // short values, only after their own key
	seen   map[string]bool  // forms and patterns already held
}

// known holds every Secret value this process has seen; see Known.
var known Redactor

// Known returns the process-wide Redactor: the values of every Secret
// passed to NewRedactor, Prepare or Learn so far — rendered objects, live
// Secrets read by a diff, manifests of release records. It is meant for
// output that has no narrower Redactor of its own: client-go's log and
// warnings, and the final error of a command.
func Known() *Redactor { return &known }

// Learn adds the values of the Secrets among objs to Known.
func Learn(objs ...*unstructured.Unstructured) { known.Add(objs...) }

// LearnManifest adds the values of the Secrets in a multi-document YAML
// or JSON manifest, such as a release record's, to Known. Documents that
// do not parse are skipped: this only learns, it never fails.
// Records are read often (status, envs, history, each dashboard refresh)
// and hold every object of a release, so only the documents that can be a
// Secret are decoded, and a manifest already learnt is not read again.
func LearnManifest(manifest string) {
	if !strings.Contains(manifest, "Secret") {
		return
	}
	sum := sha256.Sum256([]byte(manifest))
	if _, seen := learntManifests.LoadOrStore(sum, true); seen {
		return
	}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for {
		doc, err := docs.Read()
		if err != nil {
			return
		}
		if !bytes.Contains(doc, []byte("Secret")) {
			continue
		}
		var m map[string]any
		if utilyaml.Unmarshal(doc, &m) == nil && m != nil {
			Learn(&unstructured.Unstructured{Object: m})
		}
	}
}

// learntManifests holds the sha256 of each manifest LearnManifest read.
var learntManifests sync.Map

// NewRedactor collects the values of the Secrets among objs (see Add);
// they are also added to Known. Other objects and nils are ignored.
func NewRedactor(objs ...*unstructured.Unstructured) *Redactor {
	r := &Redactor{}
	r.Add(objs...)
	if len(objs) > 0 {
		known.Add(objs...)
	}
	return r
}

// Add collects the values of the Secrets among objs: data and stringData,
// each both as written and as base64 (decoded for data, encoded for
// stringData), also those kept in a last-applied annotation, and also a
// data or stringData that is not a map (every string or number in it).
// Each value is held in the forms it takes in text: plain, inside a JSON
// string (once and twice: a last-applied annotation is JSON in JSON), and
// Go-quoted (%q, strconv.Quote and QuoteToASCII, also of its JSON form).
func (r *Redactor) Add(objs ...*unstructured.Unstructured) {
	var c collector
	for _, u := range objs {
		if IsSecret(u) {
			c.secret(u.Object, 0)
		}
	}
	if len(c.long) == 0 && len(c.short) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	for _, v := range c.long {
		if !r.seen[v] {
			r.seen[v] = true
			r.values = append(r.values, v)
		}
	}
	slices.SortStableFunc(r.values, func(a, b string) int { return len(b) - len(a) })
	for _, kv := range c.short {
		id := "\x00" + kv[0] + "\x00" + kv[1]
		if !r.seen[id] {
			r.seen[id] = true
			r.keyed = append(r.keyed, keyedPattern(kv[0], kv[1]))
		}
	}
}

// Empty reports whether r knows no values.
func (r *Redactor) Empty() bool {
	if r == nil {
		return true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.values) == 0 && len(r.keyed) == 0
}

// collector gathers the forms of the values of Secrets: long forms are
// hidden anywhere, short ones (key, form) only after their key.
type collector struct {
	long  []string
	short [][2]string
}

func (c *collector) secret(obj map[string]any, depth int) {
	for _, field := range []string{"data", "stringData"} {
		v, ok := obj[field]
		if !ok || v == nil {
			continue
		}
		m, isMap := v.(map[string]any)
		if !isMap {
			// Malformed: every scalar in it is a value, in any encoding.
			for _, s := range leaves(v) {
				c.value(field, s, true, true)
			}
			continue
		}
		for k, v := range m {
			for _, s := range leaves(v) {
				c.value(k, s, field == "data", field == "stringData")
			}
		}
	}
	md, _ := obj["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	if last, ok := ann[LastAppliedAnnotation].(string); ok && depth == 0 {
		var prev map[string]any
		if json.Unmarshal([]byte(last), &prev) == nil {
			c.secret(prev, depth+1)
		}
	}
}

// value adds s of key, with its base64-decoded and -encoded twins.
func (c *collector) value(key, s string, decode, encode bool) {
	c.add(key, s)
	if decode {
		if plain, err := base64.StdEncoding.DecodeString(s); err == nil {
			c.add(key, string(plain))
		}
	}
	if encode {
		c.add(key, base64.StdEncoding.EncodeToString([]byte(s)))
	}
}

func (c *collector) add(key, s string) {
	if s == "" {
		return
	}
	for _, f := range forms(s) {
		if len(f) >= minSecretLen {
			c.long = append(c.long, f)
		} else {
			c.short = append(c.short, [2]string{key, f})
		}
	}
}

// leaves returns the strings, numbers and booleans in v, as text.
func leaves(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, leaves(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, leaves(e)...)
		}
		return out
	default:
		return []string{fmt.Sprint(v)}
	}
}

// forms returns s as it reads in text: as it is, between the quotes of a
// JSON string (once and twice), and between the quotes of a Go-quoted
// string (%q; also with non-ASCII escaped, and of the JSON form, as a
// log line quotes a JSON body).
func forms(s string) []string {
	once := jsonInner(s)
	twice := jsonInner(once)
	out := []string{s, once, twice, goInner(strconv.Quote(s)), goInner(strconv.QuoteToASCII(s)),
		goInner(strconv.Quote(once)), goInner(strconv.Quote(twice))}
	slices.Sort(out)
	return slices.Compact(out)
}

// jsonInner returns s as it appears between the quotes of a JSON string.
func jsonInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// goInner strips the quotes of a Go-quoted string.
func goInner(q string) string { return q[1 : len(q)-1] }

// keyedPattern matches a short value only where it is a whole value right
// after its own key: `password: 1`, `"password":"1"`, `password=1`, also
// with escaped quotes. A Secret {password: "1"} must not blank every "1"
// in the output, but an error that quotes the field must not show it.
// The groups keep what surrounds the value.
func keyedPattern(key, value string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^A-Za-z0-9_-])(` + regexp.QuoteMeta(key) + `(?:\\*")?\s*[:=]\s*(?:\\*"|')?)` +
		regexp.QuoteMeta(value) + `(\\*"|'|[\s,;)}\]]|$)`)
}

// String returns s with every known value replaced by MaskSame.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, MaskSame)
		}
	}
	for _, re := range r.keyed {
		s = re.ReplaceAllString(s, "${1}${2}"+MaskSame+"${3}")
	}
	return s
}

// Error returns err with known values hidden from its message. The result
// keeps the exit code of err but not err itself, so that nothing can print
// the original message by unwrapping.
func (r *Redactor) Error(err error) error {
	if err == nil || r.Empty() {
		return err
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	red := errors.New(msg)
	var coded *exitcode.Error
	if errors.As(err, &coded) {
		return exitcode.With(coded.Code, red)
	}
	return red
}
