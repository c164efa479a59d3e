package plugin

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kubeconfig has two contexts with namespaces of their own, and no server
// that answers: render needs none, and Helm falls back to the context's
// namespace for HELM_NAMESPACE.
const kubeconfig = `apiVersion: v1
kind: Config
current-context: team-a
clusters:
- name: nowhere
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: nobody
  user: {token: none}
contexts:
- name: team-a
  context: {cluster: nowhere, user: nobody, namespace: team-a}
- name: other
  context: {cluster: nowhere, user: nobody, namespace: other-ns}
`

// helmHome is a Helm installation of its own: plugins, data, config and
// cache directories, and a kubeconfig.
type helmHome struct {
	helm string
	env  []string
}

func newHelmHome(t *testing.T) helmHome {
	t.Helper()
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	// HELM_PLUGINS is where Helm puts it by default, under HELM_DATA_HOME:
	// Helm 3.22 installs a plugin from an HTTP archive there whatever
	// HELM_PLUGINS says, and then looks for it in HELM_PLUGINS.
	return helmHome{helm: helmCLI(t), env: []string{
		pathWith(), "KUBECONFIG=" + kc,
		"HELM_PLUGINS=" + filepath.Join(dir, "data", "plugins"),
		"HELM_DATA_HOME=" + filepath.Join(dir, "data"),
		"HELM_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"HELM_CACHE_HOME=" + filepath.Join(dir, "cache"),
	}}
}

func (h helmHome) mustRun(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return mustRun(t, dir, append(slices.Clone(h.env), env...), h.helm, args...)
}

// TestHelmPluginFromSource: Given a source tree, When `helm plugin install
// <dir>` runs the install hook (which builds the binary with go), Then
// `helm promote` works, honours Helm's namespace and context the way
// internal/cli/global.go documents, and completes environment names.
func TestHelmPluginFromSource(t *testing.T) {
	h := newHelmHome(t)
	r := h.mustRun(t, root, nil, "plugin", "install", src)
	if !strings.Contains(r.stdout, "Installed plugin: promote") || !strings.Contains(r.stdout, "building kubectl-promote") {
		t.Errorf("helm plugin install: unexpected output:\n%s%s", r.stdout, r.stderr)
	}
	list := h.mustRun(t, root, nil, "plugin", "list").stdout
	if !strings.Contains(list, "promote") || !strings.Contains(list, "0.1.0") {
		t.Errorf("helm plugin list does not show promote 0.1.0:\n%s", list)
	}
	if got := h.mustRun(t, root, nil, "promote", "version").stdout; got != "kubectl-promote v0.1.0\n" {
		t.Errorf("helm promote version = %q, want the plugin.yaml version (no git in the copy)", got)
	}
	t.Run("namespace", func(t *testing.T) { testHelmNamespace(t, h) })
	t.Run("completion", func(t *testing.T) { testHelmCompletion(t, h) })
}

// testHelmNamespace: Helm always exports HELM_NAMESPACE, falling back to the
// context's namespace; only a namespace that differs from that fallback (a
// `helm -n`, or HELM_NAMESPACE set by the user) replaces the environment's.
// The Helm example shows it (its chart uses .Release.Namespace); the
// Kustomize example renders with HELM_NAMESPACE set too, but its overlay
// names its namespace, which the environment's namespace never overrides.
func testHelmNamespace(t *testing.T, h helmHome) {
	helmShop := filepath.Join(root, "examples", "helm-shop", "promote.yaml")
	kustomizeShop := filepath.Join(root, "examples", "kustomize-shop", "promote.yaml")
	tests := []struct {
		name          string
		file          string
		env           []string
		before, after []string // helm's flags before `promote`, and the plugin's after its args
		want          string
	}{
		{"no -n: the environment's", helmShop, nil, nil, nil, "helm-shop-dev"},
		{"HELM_NAMESPACE set", helmShop, []string{"HELM_NAMESPACE=qa-7"}, nil, nil, "qa-7"},
		{"helm -n before the plugin", helmShop, nil, []string{"-n", "qa-8"}, nil, "qa-8"},
		{"--namespace= after the plugin's args", helmShop, nil, nil, []string{"--namespace=qa-9"}, "qa-9"},
		{"HELM_NAMESPACE equal to the context's", helmShop, []string{"HELM_NAMESPACE=team-a"}, nil, nil, "helm-shop-dev"},
		{"--kube-context: its namespace is the fallback", helmShop, nil, []string{"--kube-context", "other"}, nil, "helm-shop-dev"},
		{"--kube-context and -n", helmShop, nil, []string{"--kube-context", "other", "-n", "team-a"}, nil, "team-a"},
		{"kustomize overlay with its namespace, HELM_NAMESPACE set", kustomizeShop, []string{"HELM_NAMESPACE=qa-7"}, nil, nil, "shop-dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append(slices.Clone(tt.before), "promote", "render", "dev", "-f", tt.file), tt.after...)
			r := h.mustRun(t, t.TempDir(), tt.env, args...)
			if got := namespaces(r.stdout); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("helm %s: namespaces %v, want [%s]\nstderr:\n%s", strings.Join(args, " "), got, tt.want, r.stderr)
			}
		})
	}
}

// testHelmCompletion: Helm runs the plugin's plugin.complete, which asks
// kubectl-promote's cobra completion.
func testHelmCompletion(t *testing.T, h helmHome) {
	dir := filepath.Join(root, "examples", "kustomize-shop")
	r := h.mustRun(t, dir, nil, "__complete", "promote", "render", "")
	if diff := cmp.Diff([]string{"dev", "staging", "prod"}, completions(r.stdout)); diff != "" {
		t.Errorf("helm __complete promote render \"\" (-want +got):\n%s\nstderr:\n%s", diff, r.stderr)
	}
}

// TestHelmPluginFromArchive: the release archive is also a Helm plugin:
// `helm plugin install <URL of the tar.gz>` places its prebuilt binary, and
// plugin.yaml carries the release version.
func TestHelmPluginFromArchive(t *testing.T) {
	if !strings.HasSuffix(archiveName(hostPlatform()), ".tar.gz") {
		t.Skip("Helm installs plugins from tar.gz archives only")
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dist)))
	defer srv.Close()
	h := newHelmHome(t)
	r := h.mustRun(t, root, nil, "plugin", "install", srv.URL+"/"+archiveName(hostPlatform()))
	if !strings.Contains(r.stdout, "installed the prebuilt kubectl-promote") {
		t.Errorf("helm plugin install did not use the prebuilt binary:\n%s%s", r.stdout, r.stderr)
	}
	list := h.mustRun(t, root, nil, "plugin", "list").stdout
	if want := strings.TrimPrefix(version, "v"); !strings.Contains(list, want) {
		t.Errorf("helm plugin list does not show version %s:\n%s", want, list)
	}
	if got := h.mustRun(t, root, nil, "promote", "version").stdout; got != "kubectl-promote "+version+"\n" {
		t.Errorf("helm promote version = %q", got)
	}
}
