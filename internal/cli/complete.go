package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// CompleteEnvs completes ENV arguments from the pipeline file (found as the
// command would find it, -f honoured), offering each environment not yet
// given, described by its namespace and context. max limits how many ENV
// arguments the command takes; 0 means any number.
func CompleteEnvs(g *GlobalOptions, max int) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		p, err := g.loadPipeline()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, e := range p.Spec.Environments {
			if e.Name == "" || slices.Contains(args, e.Name) || !strings.HasPrefix(e.Name, toComplete) {
				continue
			}
			out = append(out, cobra.CompletionWithDesc(e.Name, describeEnv(e.Namespace, e.Cluster.Context)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func describeEnv(namespace, context string) string {
	if context == "" {
		return fmt.Sprintf("namespace %s", namespace)
	}
	return fmt.Sprintf("namespace %s, context %s", namespace, context)
}
