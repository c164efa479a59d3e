package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// TestResolve pins where the resolver puts an environment: the overrides
// move the target, never an environment only read from.
func TestResolve(t *testing.T) {
	dir := shopDir(t)
	kc := kubeconfig(t, t.TempDir(), "http://127.0.0.1:1")
	tests := []struct {
		name     string
		flags    []string
		env      string
		upstream bool
		want     string // namespace@context, or an error substring
		code     int
	}{
		{name: "own placement", env: "dev", want: "shop-dev@up"},
		{name: "-n moves the target", flags: []string{"-n", "foo"}, env: "dev", want: "foo@up"},
		{name: "--context moves the target", flags: []string{"--context", "down"}, env: "dev", want: "shop-dev@down"},
		{name: "both", flags: []string{"-n", "foo", "--context", "down"}, env: "staging", want: "foo@down"},
		{name: "upstream keeps its own", flags: []string{"-n", "foo", "--context", "down"}, env: "dev", upstream: true, want: "shop-dev@up"},
		{name: "unknown environment", env: "qa", want: `"qa"`, code: exitcode.BadInput},
		{name: "unknown --context", flags: []string{"--context", "nope"}, env: "dev", want: `"nope" (from --context)`, code: exitcode.BadInput},
		{name: "unknown context in promote.yaml", env: "prod", want: `promote.yaml:19: environment "prod": kube context "gone"`, code: exitcode.BadInput},
		{name: "upstream with an unknown context", flags: []string{"--context", "up"}, env: "prod", upstream: true, want: `kube context "gone"`, code: exitcode.BadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(dir)
			g := NewGlobalOptions(genericiooptions.NewTestIOStreamsDiscard())
			if err := newRootCommand(g).PersistentFlags().Parse(append([]string{"--kubeconfig", kc}, tt.flags...)); err != nil {
				t.Fatal(err)
			}
			resolve := g.Target
			if tt.upstream {
				resolve = g.Upstream
			}
			tg, err := resolve(tt.env)
			if tt.code != 0 {
				if exitcode.Code(err) != tt.code || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v (exit %d), want exit %d and %q", err, exitcode.Code(err), tt.code, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tg.Namespace()+"@"+tg.Env.Cluster.Context); diff != "" {
				t.Errorf("placement (-want +got):\n%s", diff)
			}
			if tg.Clients == nil || tg.Pipeline == nil || tg.Store().Namespace() != tg.Namespace() {
				t.Errorf("incomplete target: %+v", tg)
			}
			if own, _ := tg.Pipeline.Env(tt.env); own == tg.Env {
				t.Error("the target shares the pipeline's own environment: an override would leak into upstream reads")
			}
		})
	}
}

func TestPlace(t *testing.T) {
	p, env := mustShop(t)
	moved := promote.Place(env, "foo", "down")
	if moved.Namespace != "foo" || moved.Cluster.Context != "down" || env.Namespace != "shop-dev" || env.Cluster.Context != "up" {
		t.Errorf("Place: moved %s@%s, original %s@%s", moved.Namespace, moved.Cluster.Context, env.Namespace, env.Cluster.Context)
	}
	if diff := cmp.Diff(p.Health(env), p.Health(moved)); diff != "" || p.History(moved) != p.History(env) {
		t.Errorf("a placed copy lost the environment's defaults (-want +got):\n%s", diff)
	}
}

func mustShop(t *testing.T) (*pipeline.Pipeline, *pipeline.Environment) {
	t.Helper()
	t.Chdir(shopDir(t))
	g := NewGlobalOptions(genericiooptions.NewTestIOStreamsDiscard())
	p, err := g.LoadPipeline()
	if err != nil {
		t.Fatal(err)
	}
	env, err := p.Env("dev")
	if err != nil {
		t.Fatal(err)
	}
	return p, env
}
