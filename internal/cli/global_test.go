package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

func TestColorEnabled(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	tests := []struct {
		name    string
		color   string
		noColor string
		w       any
		want    bool
	}{
		{name: "always wins over a pipe", color: "always", w: &bytes.Buffer{}, want: true},
		{name: "always wins over NO_COLOR", color: "always", noColor: "1", w: &bytes.Buffer{}, want: true},
		{name: "never", color: "never", w: os.Stderr, want: false},
		{name: "auto, buffer", color: "auto", w: &bytes.Buffer{}, want: false},
		{name: "auto, file that is no terminal", color: "auto", w: devNull, want: false},
		{name: "auto, NO_COLOR", color: "auto", noColor: "1", w: devNull, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tt.noColor)
			g := &GlobalOptions{Color: tt.color}
			w := tt.w.(interface{ Write([]byte) (int, error) })
			if got := g.ColorEnabled(w); got != tt.want {
				t.Errorf("ColorEnabled() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBadColorFlag(t *testing.T) {
	res := run(t, t.TempDir(), "version", "--color", "purple")
	if res.code != exitcode.BadInput || !strings.Contains(res.stderr, `--color "purple"`) {
		t.Errorf("got exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestHelmPluginEnv(t *testing.T) {
	kc := kubeconfig(t, t.TempDir(), "http://127.0.0.1:1")
	env := &pipeline.Environment{Name: "dev", Namespace: "shop-dev", Cluster: pipeline.Cluster{Context: "down"}}
	tests := []struct {
		name          string
		helmContext   string
		helmNamespace string
		flags         []string
		wantContext   string
		wantNamespace string
	}{
		{name: "plain kubectl", wantContext: "down", wantNamespace: "shop-dev"},
		{name: "helm --kube-context", helmContext: "up", wantContext: "up", wantNamespace: "shop-dev"},
		{name: "--context beats HELM_KUBECONTEXT", helmContext: "up", flags: []string{"--context", "down"}, wantContext: "down", wantNamespace: "shop-dev"},
		// Helm exports the context's namespace when -n was not given: not an override.
		{name: "helm without -n", helmContext: "up", helmNamespace: "from-kubeconfig", wantContext: "up", wantNamespace: "shop-dev"},
		{name: "helm -n", helmContext: "up", helmNamespace: "elsewhere", wantContext: "up", wantNamespace: "elsewhere"},
		{name: "--namespace beats helm -n", helmNamespace: "elsewhere", flags: []string{"-n", "mine"}, wantContext: "down", wantNamespace: "mine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HELM_KUBECONTEXT", tt.helmContext)
			t.Setenv("HELM_NAMESPACE", tt.helmNamespace)
			g := NewGlobalOptions(genericiooptions.NewTestIOStreamsDiscard())
			cmd := newRootCommand(g)
			if err := cmd.PersistentFlags().Parse(append([]string{"--kubeconfig", kc}, tt.flags...)); err != nil {
				t.Fatal(err)
			}
			if got := g.Context(env); got != tt.wantContext {
				t.Errorf("Context() = %q, want %q", got, tt.wantContext)
			}
			if got := g.Namespace(env); got != tt.wantNamespace {
				t.Errorf("Namespace() = %q, want %q", got, tt.wantNamespace)
			}
		})
	}
}

func TestClientsFor(t *testing.T) {
	kc := kubeconfig(t, t.TempDir(), "http://127.0.0.1:1")
	g := NewGlobalOptions(genericiooptions.NewTestIOStreamsDiscard())
	*g.ConfigFlags.KubeConfig = kc
	up := &pipeline.Environment{Name: "a", Cluster: pipeline.Cluster{Context: "up"}}
	c1, err := g.ClientsFor(up)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := g.ClientsFor(&pipeline.Environment{Name: "b", Cluster: pipeline.Cluster{Context: "up"}})
	if err != nil || c1 != c2 {
		t.Errorf("clients are not shared per context: %p %p %v", c1, c2, err)
	}
	if c1.Config.QPS < 100 {
		t.Errorf("QPS = %v, want raised limits", c1.Config.QPS)
	}
	_, err = g.ClientsFor(&pipeline.Environment{Name: "c", Cluster: pipeline.Cluster{Context: "nope"}})
	want := `known contexts: down, up`
	if err == nil || exitcode.Code(err) != exitcode.BadInput || !strings.Contains(err.Error(), want) {
		t.Errorf("unknown context: err = %v (code %d), want %q", err, exitcode.Code(err), want)
	}
}

func TestCompleteEnvs(t *testing.T) {
	dir := shopDir(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "all", args: []string{"__complete", "pick", ""},
			want: "dev\tnamespace shop-dev, context up\nstaging\tnamespace shop-staging, context down\nprod\tnamespace shop, context gone\n:4\n"},
		{name: "prefix", args: []string{"__complete", "pick", "st"}, want: "staging\tnamespace shop-staging, context down\n:4\n"},
		{name: "one ENV only", args: []string{"__complete", "pick", "dev", ""}, want: ":4\n"},
		{name: "no pipeline file", args: []string{"__complete", "-f", "missing.yaml", "pick", ""}, want: ":4\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(dir)
			var out bytes.Buffer
			g := NewGlobalOptions(genericiooptions.IOStreams{In: os.Stdin, Out: &out, ErrOut: io.Discard})
			root := newRootCommand(g)
			root.AddCommand(&cobra.Command{Use: "pick ENV", ValidArgsFunction: CompleteEnvs(g, 1), RunE: func(*cobra.Command, []string) error { return nil }})
			root.SetArgs(tt.args)
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("completion = %q, want %q", out.String(), tt.want)
			}
		})
	}
}

func TestLoadPipelineFromSubdirectory(t *testing.T) {
	dir := shopDir(t)
	sub := filepath.Join(dir, "overlays", "dev")
	// No cluster here: the table is printed, then exit 3.
	if res := run(t, sub, "envs", "--probe-timeout", "1ms"); res.code != exitcode.Cluster || !strings.Contains(res.stdout, "shop-staging") {
		t.Errorf("envs from a subdirectory: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	writeFiles(t, dir, map[string]string{"promote.yaml": strings.Replace(shop, "namespace: shop-dev", "namespace: Shop", 1)})
	res := run(t, sub, "envs")
	want := `error: ../../promote.yaml:8: environment "dev": namespace "Shop" must be a DNS label`
	if res.code != exitcode.BadInput || !strings.HasPrefix(res.stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit 2 and %q", res.code, res.stderr, want)
	}
}
