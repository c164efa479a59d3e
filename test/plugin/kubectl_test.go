package plugin

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kubectlEnv runs kubectl with only binDir added to the system PATH and no
// kubeconfig of the user's.
func kubectlEnv(t *testing.T) []string {
	return []string{pathWith(binDir), "KUBECONFIG=" + filepath.Join(t.TempDir(), "none")}
}

// TestKubectlPluginDiscovery: Given kubectl-promote on PATH, When kubectl
// lists its plugins and runs `kubectl promote`, Then it finds ours.
func TestKubectlPluginDiscovery(t *testing.T) {
	k := kubectl(t)
	list := mustRun(t, root, kubectlEnv(t), k, "plugin", "list")
	if want := filepath.Join(binDir, "kubectl-promote"); !slices.Contains(lines(list.stdout), want) {
		t.Errorf("kubectl plugin list does not show %s:\n%s%s", want, list.stdout, list.stderr)
	}
	if strings.Contains(list.stderr, "warning") {
		t.Errorf("kubectl plugin list warns about our plugin:\n%s", list.stderr)
	}
	got := mustRun(t, root, kubectlEnv(t), k, "promote", "version").stdout
	if want := "kubectl-promote " + version + "\n"; got != want {
		t.Errorf("kubectl promote version = %q, want %q", got, want)
	}
}

// TestKubectlPromoteRender runs a real command through kubectl.
func TestKubectlPromoteRender(t *testing.T) {
	dir := filepath.Join(root, "examples", "kustomize-shop")
	r := mustRun(t, dir, kubectlEnv(t), kubectl(t), "promote", "render", "dev")
	if got := namespaces(r.stdout); !slices.Equal(got, []string{"shop-dev"}) {
		t.Errorf("kubectl promote render dev: namespaces %v, want [shop-dev]", got)
	}
}

// TestKubectlCompletion: kubectl (1.26+) completes `kubectl promote …` by
// running kubectl_complete-promote from PATH; environment names come from
// the promote.yaml of the working directory.
func TestKubectlCompletion(t *testing.T) {
	dir := filepath.Join(root, "examples", "kustomize-shop")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "promote", "render", ""}, []string{"dev", "staging", "prod"}},
		{[]string{"__complete", "promote", "diff", "st"}, []string{"staging"}},
		{[]string{"__complete", "promote", "-f", "promote.yaml", "history", ""}, []string{"dev", "staging", "prod"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[2:], " "), func(t *testing.T) {
			r := mustRun(t, dir, kubectlEnv(t), kubectl(t), tt.args...)
			if diff := cmp.Diff(tt.want, completions(r.stdout)); diff != "" {
				t.Errorf("kubectl %s (-want +got):\n%s\nstderr:\n%s", strings.Join(tt.args, " "), diff, r.stderr)
			}
		})
	}
	t.Run("subcommands", func(t *testing.T) {
		r := mustRun(t, dir, kubectlEnv(t), kubectl(t), "__complete", "promote", "")
		got := completions(r.stdout)
		for _, want := range []string{"apply", "diff", "render", "version", "dev", "prod"} {
			if !slices.Contains(got, want) {
				t.Errorf("kubectl __complete promote \"\": no %q in %v", want, got)
			}
		}
	})
	t.Run("helper directly", func(t *testing.T) {
		r := mustRun(t, dir, kubectlEnv(t), filepath.Join(binDir, "kubectl_complete-promote"), "render", "p")
		if diff := cmp.Diff([]string{"prod"}, completions(r.stdout)); diff != "" {
			t.Errorf("kubectl_complete-promote render p (-want +got):\n%s", diff)
		}
	})
}

// completions are the candidates of cobra's __complete output: one a line
// (a tab may start its description), then ":directive".
func completions(out string) []string {
	var got []string
	for _, l := range lines(out) {
		if strings.HasPrefix(l, ":") || strings.HasPrefix(l, "_activeHelp_") {
			continue
		}
		name, _, _ := strings.Cut(l, "\t")
		got = append(got, name)
	}
	return got
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// namespaces lists the distinct metadata.namespace values of a rendered
// multi-document YAML, in order of appearance.
func namespaces(yaml string) []string {
	var out []string
	for _, l := range strings.Split(yaml, "\n") {
		ns, ok := strings.CutPrefix(l, "  namespace: ")
		if ok && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}
