package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/pkg/dashboard"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// DashboardOptions are the options of `dashboard`.
type DashboardOptions struct {
	*GlobalOptions
	Address       string
	Open          bool
	ReadOnly      bool
	LeaseDuration time.Duration

	server dashboard.Options
}

// NewCmdDashboard returns `dashboard [--address A] [--open] [--read-only]`.
func NewCmdDashboard(g *GlobalOptions) *cobra.Command {
	o := &DashboardOptions{GlobalOptions: g}
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve a local web UI of the pipeline: live rollouts, history, resume/abort/promote/undo",
		Long: "Serve a web UI of the pipeline from this process, on loopback by default, and print its URL.\n" +
			"It uses your kubeconfig: it can see and do what your RBAC allows, and shows \"forbidden\" where not.\n" +
			"Pages update live from watches on each environment. Actions need the session token the page\n" +
			"carries; --read-only hides and refuses them. Stop it with Ctrl-C. See docs/dashboard.md.",
		Args: cobra.NoArgs,
		RunE: runE(o),
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Address, "address", "127.0.0.1:0", "address to listen on (port 0 picks a free one); anything but loopback exposes your cluster access")
	fl.BoolVar(&o.Open, "open", false, "open the page in the default browser")
	fl.BoolVar(&o.ReadOnly, "read-only", false, "show, but offer and accept no action")
	fl.DurationVar(&o.LeaseDuration, "lock-lease", 30*time.Second, "lease duration of the environment lock taken by actions")
	return cmd
}

// Complete loads the pipeline and connects to every environment's cluster;
// an environment whose cluster cannot be reached is shown as such. Like
// envs, the dashboard shows every environment where promote.yaml puts it:
// -n and --context move none of them.
func (o *DashboardOptions) Complete(_ []string) error {
	p, err := o.LoadPipeline()
	if err != nil {
		return badInput(err)
	}
	if ov := o.overrides(); ov != "" {
		fmt.Fprintf(o.ErrOut, "warning: %s ignored: the dashboard shows every environment where promote.yaml puts it\n", ov)
	}
	envs := make([]dashboard.Environment, 0, len(p.Spec.Environments))
	for i := range p.Spec.Environments {
		env := promote.Place(&p.Spec.Environments[i], "", "")
		e := dashboard.Environment{Env: env, Context: env.Cluster.Context, Namespace: env.Namespace}
		if e.Context == "" {
			e.Context = o.CurrentContext()
		}
		e.Clients, e.Err = o.ClientsFor(env)
		envs = append(envs, e)
	}
	o.server = dashboard.Options{
		Pipeline: p, Environments: envs, ReadOnly: o.ReadOnly,
		Holder: dashboardHolder(), Approver: defaultApprover(os.Getenv),
		LeaseDuration: o.LeaseDuration, Log: o.ErrOut,
	}
	return nil
}

// dashboardHolder names this process in locks and records.
func dashboardHolder() release.Holder {
	h := release.DefaultHolder()
	h.Command = "kubectl-promote dashboard"
	return h
}

// Validate checks the listen address.
func (o *DashboardOptions) Validate() error {
	if _, _, err := net.SplitHostPort(o.Address); err != nil {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--address %q: %w (use host:port, e.g. 127.0.0.1:8080)", o.Address, err))
	}
	return nil
}

// Run listens, prints the URL and serves until interrupted; a second
// signal abandons even the undo of a running action, as in the CLI.
func (o *DashboardOptions) Run(ctx context.Context) error {
	o.server.HardStop = HardStop(ctx)
	srv, err := dashboard.New(o.server)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Address)
	if err != nil {
		return exitcode.With(exitcode.BadInput, fmt.Errorf("--address %s: %w", o.Address, err))
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintln(o.Out, url)
	fmt.Fprintf(o.ErrOut, "dashboard of pipeline %s at %s (Ctrl-C stops it)\n", srv.Name(), url)
	if o.Open {
		openBrowser(o, url)
	}
	return srv.Serve(ctx, ln)
}

// openBrowser asks the desktop to open url; failing that, the URL printed
// is enough.
func openBrowser(o *DashboardOptions, url string) {
	name := "xdg-open"
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name = "explorer"
	}
	if err := exec.Command(name, url).Start(); err != nil {
		fmt.Fprintf(o.ErrOut, "warning: could not open a browser (%v); open %s yourself\n", err, url)
	}
}
