package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
)

// HelmImportOptions take an environment over from the Helm release that
// runs it.
type HelmImportOptions struct {
	*GlobalOptions
	// Release is the Helm release's name (default: the environment's
	// source.helm.releaseName, else its name).
	Release string
	// DryRun only checks the release and its objects.
	DryRun bool
	// ForceConflicts takes over fields other managers than Helm's own.
	ForceConflicts bool

	target promote.Target
	deploy DeployFlags
}

// NewCmdHelmImport returns `helm-import ENV`.
func NewCmdHelmImport(g *GlobalOptions) *cobra.Command {
	o := &HelmImportOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "helm-import ENV",
		Short: "Take an environment over, in place, from the Helm release that runs it",
		Long: "Read the deployed Helm release of ENV's namespace from Helm's storage, check its objects, move the\n" +
			"fields Helm's field manager owns to kubectl-promote and apply the release's own manifest with the\n" +
			"owner labels: no object is recreated, no pod restarts. The first release record names the Helm release,\n" +
			"its revision, chart and values. Helm's release history is left as it is (helm history still reads it).\n" +
			"A first `apply` of an environment a Helm release runs does the same by itself.",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: CompleteEnvs(g, 1),
		RunE:              runE(o),
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Release, "release", "", "Helm release name (default: source.helm.releaseName, else the environment's name)")
	fl.BoolVar(&o.DryRun, "dry-run", false, "check the release and its objects only: change nothing")
	fl.BoolVar(&o.ForceConflicts, "force-conflicts", false, "also take over fields field managers other than Helm's own")
	fl.DurationVar(&o.deploy.WaitForLock, "wait-for-lock", 0, "wait this long for another run's lock instead of failing at once")
	fl.DurationVar(&o.deploy.LeaseDuration, "lock-lease", 30*time.Second, "lease duration of the environment lock")
	return cmd
}

// Complete resolves ENV and the release name.
func (o *HelmImportOptions) Complete(args []string) error {
	var err error
	if o.target, err = o.Target(args[0]); err != nil {
		return err
	}
	if o.Release == "" {
		o.Release = o.target.Env.Name
		if h := o.target.Env.Source.Helm; h != nil && h.ReleaseName != "" {
			o.Release = h.ReleaseName
		}
	}
	return nil
}

// Validate checks the output format.
func (o *HelmImportOptions) Validate() error {
	switch o.Output {
	case "text", "jsonl", "json":
		return nil
	}
	return exitcode.With(exitcode.BadInput, fmt.Errorf("--output %q: helm-import prints text or jsonl", o.Output))
}

// Run imports the release and reports.
func (o *HelmImportOptions) Run(ctx context.Context) error {
	o.deploy.DryRun, o.deploy.ForceConflicts = o.DryRun, o.ForceConflicts
	req := o.deploy.request(o.target)
	return runDeploy(ctx, o.GlobalOptions, req, func(ctx context.Context, r promote.Request) (*promote.Result, error) {
		return promote.ImportHelm(ctx, r, o.Release)
	})
}
