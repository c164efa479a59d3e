package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// TestUsageErrorsExit2 runs every command with a wrong number of
// arguments and with an unknown flag: both are usage errors, exit 2,
// reported before any pipeline file is looked for.
func TestUsageErrorsExit2(t *testing.T) {
	wrongArgs := map[string][]string{
		"init":        {"a", "b"},
		"envs":        {"dev"},
		"diff":        {},
		"apply":       {"dev", "prod"},
		"status":      {},
		"history":     {"dev", "prod"},
		"undo":        {},
		"test":        {},
		"resume":      {"dev", "prod"},
		"abort":       {},
		"unlock":      {"dev", "prod"},
		"render":      {},
		"completion":  {"tcsh"},
		"version":     {"extra"},
		"dashboard":   {"dev"},
		"helm-import": {},
		// guard takes any number of environments: a flag without its value.
		"guard": {"--interval"},
	}
	root := newRootCommand(NewGlobalOptions(genericiooptions.NewTestIOStreamsDiscard()))
	for _, sub := range root.Commands() {
		if _, ok := wrongArgs[sub.Name()]; !ok && !sub.Hidden && sub.Name() != "help" {
			t.Errorf("command %q has no case here: add one", sub.Name())
		}
	}
	dir := t.TempDir() // no promote.yaml: usage errors come first
	for name, args := range wrongArgs {
		t.Run(name+" wrong args", func(t *testing.T) {
			res := run(t, dir, append([]string{name}, args...)...)
			if res.code != exitcode.BadInput {
				t.Errorf("exit %d, want 2; stderr %q", res.code, res.stderr)
			}
		})
		t.Run(name+" unknown flag", func(t *testing.T) {
			res := run(t, dir, name, "--bogus")
			if res.code != exitcode.BadInput || !strings.Contains(res.stderr, "unknown flag: --bogus") {
				t.Errorf("exit %d, want 2; stderr %q", res.code, res.stderr)
			}
		})
	}
	t.Run("promotion unknown flag", func(t *testing.T) {
		if res := run(t, dir, "dev", "--bogus"); res.code != exitcode.BadInput {
			t.Errorf("exit %d, want 2; stderr %q", res.code, res.stderr)
		}
	})
}

func TestInitOntoDirectory(t *testing.T) {
	dir := shopDir(t)
	if err := os.Remove(filepath.Join(dir, "promote.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "promote.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init"}, {"init", "--force"}} {
		res := run(t, dir, args...)
		if res.code != exitcode.BadInput || !strings.Contains(res.stderr, "promote.yaml is a directory") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming the directory", args, res.code, res.stderr)
		}
	}
}

func TestOverridesWithSeveralTargets(t *testing.T) {
	dir := shopDir(t)
	for _, flag := range [][]string{{"-n", "foo"}, {"--context", "up"}} {
		res := run(t, dir, append([]string{"staging", "prod"}, flag...)...)
		if res.code != exitcode.BadInput || !strings.Contains(res.stderr, "promote them one at a time") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2", flag, res.code, res.stderr)
		}
	}
}
