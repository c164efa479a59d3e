package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// TestEquivalence proves that every example and fixture environment renders
// to the same objects as the reference tools: `kubectl kustomize DIR` (the
// installed kubectl) and `helm template` (the helm CLI built from tools/).
// Before comparing, their output is normalised the way applying it would
// see it: Lists are expanded, Helm hooks dropped (we leave them out, see
// docs/render.md), and an object they leave without a namespace matches
// ours when ours has the environment's. Order is not compared; ours is
// sorted for applying.
func TestEquivalence(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is needed as the reference for kustomize: %v", err)
	}
	helm := helmCLI(t)
	for _, c := range allEnvs(t) {
		t.Run(c.name, func(t *testing.T) {
			ours := mustRender(t, c, Options{}).Objects
			var out []byte
			switch src := c.env.Source; {
			case src.Kustomize != nil:
				out = run(t, kubectl, "kustomize", resolve(c.p, src.Kustomize.Path))
			case src.Helm != nil:
				out = run(t, helm, helmTemplateArgs(c)...)
			}
			compareObjects(t, c.env.Namespace, ours, decodeReference(t, out))
		})
	}
}

// helmTemplateArgs is the `helm template` command line for c's source.
func helmTemplateArgs(c envCase) []string {
	src := c.env.Source.Helm
	release := src.ReleaseName
	if release == "" {
		release = c.env.Name
	}
	kv := src.KubeVersion
	if kv == "" {
		kv = DefaultKubeVersion
	}
	args := []string{"template", release, resolve(c.p, src.Chart),
		"--namespace", c.env.Namespace, "--include-crds", "--kube-version", kv}
	for _, v := range src.Values {
		args = append(args, "--values", resolve(c.p, v))
	}
	for _, flag := range []struct {
		name   string
		values map[string]string
		path   bool
	}{{"--set-json", src.SetJSON, false}, {"--set", src.Set, false}, {"--set-string", src.SetString, false}, {"--set-file", src.SetFile, true}} {
		for _, k := range slices.Sorted(maps.Keys(flag.values)) {
			v := flag.values[k]
			if flag.path {
				v = resolve(c.p, v)
			}
			args = append(args, flag.name, k+"="+v)
		}
	}
	for _, a := range src.APIVersions {
		args = append(args, "--api-versions", a)
	}
	return args
}

// helmCLI returns the helm built by tools/build-helm.sh, building it when
// it is missing (several minutes the first time).
func helmCLI(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs("../../.cache/tools/bin/helm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	t.Logf("building %s with tools/build-helm.sh", bin)
	cmd := exec.Command("sh", "../../tools/build-helm.sh", bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build helm: %v\n%s", err, out)
	}
	return bin
}

// run runs a reference tool with its state kept out of the user's home.
func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+filepath.Join(home, "kubeconfig"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// decodeReference reads a reference tool's YAML stream with apimachinery's
// decoder (not ours), expanding Lists and dropping Helm hooks.
func decodeReference(t *testing.T, out []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	var objs []*unstructured.Unstructured
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("decode reference output: %v", err)
		}
		u := &unstructured.Unstructured{}
		if err := utiljson.Unmarshal(raw, &u.Object); err != nil {
			t.Fatalf("decode reference output: %v", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if _, hook := u.GetAnnotations()["helm.sh/hook"]; hook {
			continue
		}
		if !u.IsList() {
			objs = append(objs, u)
			continue
		}
		l, err := u.ToList()
		if err != nil {
			t.Fatal(err)
		}
		for i := range l.Items {
			objs = append(objs, &l.Items[i])
		}
	}
}

// compareObjects matches ours and theirs by identity and diffs each pair.
func compareObjects(t *testing.T, namespace string, ours, theirs []*unstructured.Unstructured) {
	t.Helper()
	want := map[string]*unstructured.Unstructured{}
	for _, o := range theirs {
		want[identity(o)] = o
	}
	got := map[string]*unstructured.Unstructured{}
	for _, o := range ours {
		key := identity(o)
		if _, ok := want[key]; !ok && o.GetNamespace() == namespace {
			o = o.DeepCopy()
			o.SetNamespace("")
			key = identity(o)
		}
		got[key] = o
	}
	for key, w := range want {
		g, ok := got[key]
		if !ok {
			t.Errorf("%s: rendered by the reference tool, missing from ours", key)
			continue
		}
		if diff := cmp.Diff(w.Object, g.Object); diff != "" {
			t.Errorf("%s differs (-reference +ours):\n%s", key, diff)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: in ours, not rendered by the reference tool", key)
		}
	}
	if len(ours) == 0 {
		t.Error("nothing rendered")
	}
}

func identity(o *unstructured.Unstructured) string {
	return o.GroupVersionKind().GroupKind().String() + " " + o.GetNamespace() + "/" + o.GetName()
}

// TestEquivalenceRemote proves that a chart from an HTTP repository and
// from an OCI registry renders like `helm template` of the same chart and
// version (a range resolved the same way), with values set the way `helm
// --set`, `--set-string` and `--set-json` set them.
func TestEquivalenceRemote(t *testing.T) {
	h := newHelmHome(t)
	repoSrv := chartRepository(t, h, false, "1.0.0", "1.1.0", "2.0.0")
	ociSrv, _ := ociRegistry(t, h, false, "1.0.0", "1.1.0", "2.0.0")
	oci := "oci://" + strings.TrimPrefix(ociSrv.URL, "http://") + "/charts/web"
	values := `set: {count: "3", image.tag: "2.1"}, setString: {image.repository: "7"}, setJSON: {replicas: "4"}`
	flags := []string{"--set", "count=3,image.tag=2.1", "--set-string", "image.repository=7", "--set-json", "replicas=4"}
	for _, tc := range []struct {
		name    string
		fields  string
		helm    []string
		version string
	}{{
		name:    "repository",
		fields:  `repo: "` + repoSrv.URL + `", chart: web, version: "^1.0.0"`,
		helm:    []string{"web", "--repo", repoSrv.URL, "--version", "^1.0.0"},
		version: "1.1.0",
	}, {
		name:    "oci",
		fields:  `chart: "` + oci + `", version: "1.0.0", plainHTTP: true`,
		helm:    []string{oci, "--version", "1.0.0", "--plain-http"},
		version: "1.0.0",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p, env := remotePipeline(t, tc.fields+", "+values)
			res, err := renderRemote(t, p, env, h.options())
			if err != nil {
				t.Fatal(err)
			}
			args := append([]string{"template", "dev"}, tc.helm...)
			args = append(append(args, flags...), "--namespace", env.Namespace, "--include-crds", "--kube-version", DefaultKubeVersion)
			out, _ := h.helmStreams(t, args...)
			compareObjects(t, env.Namespace, res.Objects, decodeReference(t, []byte(out)))
			if res.ChartVersion != tc.version {
				t.Errorf("recorded version %s, want %s", res.ChartVersion, tc.version)
			}
		})
	}
}
