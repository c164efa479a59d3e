package render

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/cli"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// The charts these tests serve: one chart, packaged by the reference helm
// CLI at several versions. Its templates show the version and the type
// each `set` flavour gives a value.
const (
	testChartName = "web"
	testUser      = "ci"
	testPassword  = "s3cret-pw"
)

var testChartFiles = map[string]string{
	"Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.0.0\n",
	"values.yaml": "image: {repository: registry.example.com/web, tag: '1.0'}\nreplicas: 1\ncount: 1\n",
	"templates/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels: {chart-version: {{ .Chart.Version | quote }}}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`,
	"templates/config.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-config}
data:
  count: {{ .Values.count | quote }}
  countKind: {{ kindOf .Values.count | quote }}
`,
}

// helmHome is the state of the reference helm CLI and of our renders in
// one test: repositories file, registry logins, caches.
type helmHome struct {
	dir      string
	settings *cli.EnvSettings
	cache    string
}

func newHelmHome(t *testing.T) *helmHome {
	t.Helper()
	dir := t.TempDir()
	s := cli.New()
	s.RepositoryConfig = filepath.Join(dir, "config", "repositories.yaml")
	s.RegistryConfig = filepath.Join(dir, "config", "registry", "config.json")
	s.RepositoryCache = filepath.Join(dir, "cache", "repository")
	s.PluginsDirectory = filepath.Join(dir, "plugins")
	return &helmHome{dir: dir, settings: s, cache: filepath.Join(dir, "charts")}
}

func (h *helmHome) env() []string {
	return append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(h.dir, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(h.dir, "config"),
		"HELM_DATA_HOME="+filepath.Join(h.dir, "data"),
		"HELM_REPOSITORY_CONFIG="+h.settings.RepositoryConfig,
		"HELM_REGISTRY_CONFIG="+h.settings.RegistryConfig,
		"HELM_REPOSITORY_CACHE="+h.settings.RepositoryCache,
		"DOCKER_CONFIG="+filepath.Join(h.dir, "docker"),
		"KUBECONFIG="+filepath.Join(h.dir, "kubeconfig"))
}

// helm runs the reference CLI in this home and returns its output.
func (h *helmHome) helm(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr := h.helmStreams(t, args...)
	return stdout + stderr
}

// helmStreams runs the reference CLI and returns stdout and stderr apart.
func (h *helmHome) helmStreams(t *testing.T, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(helmCLI(t), args...)
	cmd.Env = h.env()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

func (h *helmHome) options() Options {
	return Options{Helm: h.settings, ChartCache: h.cache}
}

// packageCharts packages the test chart at each version with `helm
// package` into a new directory.
func packageCharts(t *testing.T, h *helmHome, versions ...string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), testChartName)
	for name, content := range testChartFiles {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	for _, v := range versions {
		h.helm(t, "package", src, "--version", v, "--destination", out)
	}
	return out
}

// server serves handler, optionally behind basic auth, counting requests.
type server struct {
	*httptest.Server
	requests atomic.Int64
}

func serve(t *testing.T, handler http.Handler, auth bool) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if u, p, ok := r.BasicAuth(); auth && (!ok || u != testUser || p != testPassword) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// chartRepository serves the packaged charts as an HTTP chart repository,
// with the index.yaml `helm repo index` writes (relative URLs).
func chartRepository(t *testing.T, h *helmHome, auth bool, versions ...string) *server {
	t.Helper()
	dir := packageCharts(t, h, versions...)
	h.helm(t, "repo", "index", dir)
	return serve(t, http.FileServer(http.Dir(dir)), auth)
}

// ociRegistry runs an in-process OCI registry and pushes the chart at each
// version with `helm push`; it returns the registry and each version's
// manifest digest as helm push printed it.
func ociRegistry(t *testing.T, h *helmHome, auth bool, versions ...string) (*server, map[string]string) {
	t.Helper()
	s := serve(t, ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))), auth)
	host := strings.TrimPrefix(s.URL, "http://")
	if auth {
		h.helm(t, "registry", "login", host, "--username", testUser, "--password", testPassword, "--plain-http")
	}
	dir := packageCharts(t, h, versions...)
	digests := map[string]string{}
	digestLine := regexp.MustCompile(`Digest: (sha256:[0-9a-f]{64})`)
	for _, v := range versions {
		out := h.helm(t, "push", filepath.Join(dir, testChartName+"-"+v+".tgz"), "oci://"+host+"/charts", "--plain-http")
		m := digestLine.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("helm push printed no digest:\n%s", out)
		}
		digests[v] = m[1]
	}
	return s, digests
}

// remotePipeline writes a promote.yaml whose one environment "dev" has
// the given helm source (YAML flow mapping fields) and loads it.
func remotePipeline(t *testing.T, helmFields string) (*pipeline.Pipeline, *pipeline.Environment) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "promote.yaml")
	content := `apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: remote}
spec:
  environments:
  - name: dev
    namespace: shop-dev
    source:
      helm: {` + helmFields + `}
`
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	p := loadPipeline(t, file)
	return p, &p.Spec.Environments[0]
}

func renderRemote(t *testing.T, p *pipeline.Pipeline, env *pipeline.Environment, opts Options) (*Result, error) {
	t.Helper()
	r, err := For(p, env)
	if err != nil {
		t.Fatalf("For: %v", err)
	}
	return r.Render(context.Background(), opts)
}

// mustRenderRemote renders and checks the version (and digest) recorded
// and the version the chart's template saw.
func mustRenderRemote(t *testing.T, p *pipeline.Pipeline, env *pipeline.Environment, opts Options, version, digest string) *Result {
	t.Helper()
	res, err := renderRemote(t, p, env, opts)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if res.ChartVersion != version || res.ChartDigest != digest || res.Chart != testChartName {
		t.Errorf("recorded chart %s %s@%s, want %s %s@%s", res.Chart, res.ChartVersion, res.ChartDigest, testChartName, version, digest)
	}
	for _, o := range res.Objects {
		if o.GetKind() == "Deployment" && o.GetLabels()["chart-version"] != version {
			t.Errorf("rendered chart version %q, want %s", o.GetLabels()["chart-version"], version)
		}
	}
	return res
}

// wantFetchError checks the exit code and that the message names the
// chart and the version.
func wantFetchError(t *testing.T, err error, code int, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("render succeeded, want exit %d", code)
	}
	t.Logf("exit %d: %v", exitcode.Code(err), err)
	if got := exitcode.Code(err); got != code {
		t.Errorf("exit %d, want %d: %v", got, code, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error does not name %q: %v", p, err)
		}
	}
	if strings.Contains(err.Error(), testPassword) {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestChartRepository(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth bool
		// repo is how the source names the repository: its URL, or the
		// name `helm repo add` gave it.
		repo func(url string) string
	}{
		{name: "open, by URL", repo: func(url string) string { return url }},
		{name: "basic auth, by helm repo add name", auth: true, repo: func(string) string { return "team" }},
		{name: "basic auth, by URL added with helm repo add", auth: true, repo: func(url string) string { return url + "/" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHelmHome(t)
			srv := chartRepository(t, h, tc.auth, "1.0.0", "1.1.0", "2.0.0")
			if tc.auth {
				h.helm(t, "repo", "add", "team", srv.URL, "--username", testUser, "--password", testPassword)
			}
			repo := tc.repo(srv.URL)
			fields := func(version string) string {
				return `repo: "` + repo + `", chart: web, version: "` + version + `"`
			}

			p, env := remotePipeline(t, fields("1.0.0"))
			mustRenderRemote(t, p, env, h.options(), "1.0.0", "")
			before := srv.requests.Load()
			mustRenderRemote(t, p, env, h.options(), "1.0.0", "")
			if n := srv.requests.Load() - before; n != 0 {
				t.Errorf("a cached exact version asked the server %d times", n)
			}

			pr, envr := remotePipeline(t, fields("^1.0.0"))
			mustRenderRemote(t, pr, envr, h.options(), "1.1.0", "")
			promoted := h.options()
			promoted.ChartName, promoted.ChartVersion = testChartName, "2.0.0"
			mustRenderRemote(t, pr, envr, promoted, "2.0.0", "")
			other := h.options()
			other.ChartName, other.ChartVersion = "api", "2.0.0"
			if res := mustRenderRemote(t, pr, envr, other, "1.1.0", ""); len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "chart api 2.0.0 is promoted") {
				t.Errorf("another chart's version: warnings %q", res.Warnings)
			}

			pm, envm := remotePipeline(t, fields("3.0.0"))
			_, err := renderRemote(t, pm, envm, h.options())
			wantFetchError(t, err, exitcode.BadInput, "web", "3.0.0")
			pn, envn := remotePipeline(t, `repo: "`+repo+`", chart: nosuch, version: "1.0.0"`)
			_, err = renderRemote(t, pn, envn, h.options())
			wantFetchError(t, err, exitcode.BadInput, "nosuch", "1.0.0")

			srv.Close()
			mustRenderRemote(t, p, env, h.options(), "1.0.0", "")
			res := mustRenderRemote(t, pr, envr, h.options(), "1.1.0", "")
			if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "from the chart cache") {
				t.Errorf("a range rendered from the cache without a warning: %q", res.Warnings)
			}
			pu, envu := remotePipeline(t, fields("1.0.1"))
			_, err = renderRemote(t, pu, envu, h.options())
			wantFetchError(t, err, exitcode.Cluster, "web", "1.0.1")
		})
	}
}

func TestChartRepositoryRefusesWithoutCredentials(t *testing.T) {
	h := newHelmHome(t)
	srv := chartRepository(t, h, true, "1.0.0")
	p, env := remotePipeline(t, `repo: "`+srv.URL+`", chart: web, version: "1.0.0"`)
	_, err := renderRemote(t, p, env, h.options())
	wantFetchError(t, err, exitcode.Cluster, "web", "1.0.0", "helm repo add")

	// Credentials in the URL work, and never show in a message.
	withUser := strings.Replace(srv.URL, "http://", "http://"+testUser+":"+testPassword+"@", 1)
	p, env = remotePipeline(t, `repo: "`+withUser+`", chart: web, version: "1.0.0"`)
	mustRenderRemote(t, p, env, h.options(), "1.0.0", "")
	p, env = remotePipeline(t, `repo: "`+withUser+`/nothing-here", chart: web, version: "1.0.0"`)
	_, err = renderRemote(t, p, env, h.options())
	wantFetchError(t, err, exitcode.BadInput, "web", "1.0.0")
}

func TestChartRegistry(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth bool
	}{{name: "open"}, {name: "helm registry login", auth: true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHelmHome(t)
			srv, digests := ociRegistry(t, h, tc.auth, "1.0.0", "1.1.0", "2.0.0")
			chart := "oci://" + strings.TrimPrefix(srv.URL, "http://") + "/charts/web"
			fields := func(version string) string {
				return `chart: "` + chart + `", version: "` + version + `", plainHTTP: true`
			}

			p, env := remotePipeline(t, fields("1.0.0"))
			mustRenderRemote(t, p, env, h.options(), "1.0.0", digests["1.0.0"])
			pr, envr := remotePipeline(t, fields(">=1.0.0 <2.0.0"))
			mustRenderRemote(t, pr, envr, h.options(), "1.1.0", digests["1.1.0"])

			promoted := h.options()
			promoted.ChartVersion, promoted.ChartDigest = "2.0.0", digests["2.0.0"]
			mustRenderRemote(t, pr, envr, promoted, "2.0.0", digests["2.0.0"])
			moved := h.options()
			moved.ChartVersion, moved.ChartDigest = "1.1.0", digests["2.0.0"]
			_, err := renderRemote(t, pr, envr, moved)
			wantFetchError(t, err, exitcode.BadInput, "web", "1.1.0")

			pm, envm := remotePipeline(t, fields("3.0.0"))
			_, err = renderRemote(t, pm, envm, h.options())
			wantFetchError(t, err, exitcode.BadInput, "web", "3.0.0")

			srv.Close()
			mustRenderRemote(t, p, env, h.options(), "1.0.0", digests["1.0.0"])
			mustRenderRemote(t, pr, envr, promoted, "2.0.0", digests["2.0.0"])
			_, err = renderRemote(t, pm, envm, h.options())
			wantFetchError(t, err, exitcode.Cluster, "web", "3.0.0")
		})
	}
}

func TestChartRegistryRefusesWithoutLogin(t *testing.T) {
	h := newHelmHome(t)
	srv, _ := ociRegistry(t, h, true, "1.0.0")
	stranger := newHelmHome(t)
	chart := "oci://" + strings.TrimPrefix(srv.URL, "http://") + "/charts/web"
	p, env := remotePipeline(t, `chart: "`+chart+`", version: "1.0.0", plainHTTP: true`)
	_, err := renderRemote(t, p, env, stranger.options())
	wantFetchError(t, err, exitcode.Cluster, "web", "1.0.0", "helm registry login")
}

// TestChartArchiveLimit: an archive larger than an input file may be is
// refused (exit 2) and not cached.
func TestChartArchiveLimit(t *testing.T) {
	h := newHelmHome(t)
	srv := chartRepository(t, h, false, "1.0.0")
	f := newFetcher(h.options())
	f.maxArchive = 100
	c := &remoteChart{repo: srv.URL, name: testChartName, version: "1.0.0"}
	_, err := f.get(context.Background(), c, chartWant{version: "1.0.0"})
	wantFetchError(t, err, exitcode.BadInput, "web", "1.0.0", "limit")
	if _, ok := f.cache.best(strings.TrimSuffix(srv.URL, "/")+"#web", ""); ok {
		t.Error("the refused archive was cached")
	}
}
