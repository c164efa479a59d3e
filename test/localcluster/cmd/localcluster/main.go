// Command localcluster starts and stops real local Kubernetes clusters for
// the kubectl-promote demo and manual testing:
//
//	localcluster build                      build the components binary (about 20 minutes cold)
//	localcluster up [--name N] [--nodes N]  start a cluster that runs until down
//	localcluster down [--name N]            stop one cluster, or all without --name
//	localcluster status                     list clusters and their processes
//	localcluster env                        print export KUBECONFIG=…
//
// Every cluster gets a context named after it in one kubeconfig,
// .cache/localcluster/kubeconfig, whose path `up` prints as its last line
// of stdout. Progress goes to stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "localcluster: %v\n", err)
		os.Exit(1)
	}
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "localcluster",
		Short:         "Run real local Kubernetes clusters (etcd, apiserver, controller-manager, scheduler, kwok)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newBuildCmd(stdout, stderr), newUpCmd(stdout, stderr), newDownCmd(stderr),
		newStatusCmd(stdout), newEnvCmd(stdout))
	return root
}

func newBuildCmd(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "build",
		Short: "Build the components binary into .cache/localcluster/bin if it is stale",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bin, err := localcluster.EnsureBinary(cmd.Context(), stderr)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, bin)
			return nil
		},
	}
}

type upOptions struct {
	name  string
	nodes int
}

func newUpCmd(stdout, stderr io.Writer) *cobra.Command {
	o := upOptions{name: "promote", nodes: 3}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a cluster (or keep a running one) and print the kubeconfig path last",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUp(cmd.Context(), o, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&o.name, "name", o.name, "cluster and kubeconfig context name")
	cmd.Flags().IntVar(&o.nodes, "nodes", o.nodes, "number of fake nodes")
	return cmd
}

func runUp(ctx context.Context, o upOptions, stdout, stderr io.Writer) error {
	kubeconfig, err := localcluster.DefaultKubeconfig()
	if err != nil {
		return err
	}
	c, err := localcluster.Open(o.name)
	if err == nil && c.Status(ctx).Ready {
		fmt.Fprintf(stderr, "localcluster: %s is already running at %s\n", c.Name, c.Server)
	} else {
		c, err = localcluster.Up(ctx, localcluster.Options{Name: o.name, Nodes: o.nodes, Detach: true, Progress: stderr})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "localcluster: %s up at %s: %d nodes Ready %s after launch (%s); logs in %s/logs\n",
			c.Name, c.Server, c.Nodes, c.BootTime.Round(time.Millisecond), c.BootSummary(), c.Dir)
	}
	if err := localcluster.MergeKubeconfig(kubeconfig, c.Kubeconfig); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "localcluster: context %q in %s\n", c.Context, kubeconfig)
	fmt.Fprintln(stdout, kubeconfig)
	return nil
}

func newDownCmd(stderr io.Writer) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop a cluster started by up (all of them without --name) and remove its state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDown(cmd.Context(), name, stderr)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "cluster to stop; default all")
	return cmd
}

func runDown(ctx context.Context, name string, stderr io.Writer) error {
	kubeconfig, err := localcluster.DefaultKubeconfig()
	if err != nil {
		return err
	}
	names := []string{name}
	if name == "" {
		dirs, err := localcluster.ClusterDirs()
		if err != nil {
			return err
		}
		names = dirs
	}
	var errs []error
	for _, n := range names {
		c, err := localcluster.Open(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := localcluster.Down(ctx, c.Dir); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, localcluster.RemoveContext(kubeconfig, c.Context))
		fmt.Fprintf(stderr, "localcluster: %s stopped\n", c.Name)
	}
	return errors.Join(errs...)
}

func newStatusCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "List the clusters started by up and their processes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := localcluster.List(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tSERVER\tREADY\tPROCESSES")
			for _, s := range list {
				fmt.Fprintf(w, "%s\t%s\t%t\t%s\n", s.Name, s.Server, s.Ready, processes(s))
			}
			return w.Flush()
		},
	}
}

func processes(s localcluster.Status) string {
	var parts []string
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"} {
		state := "down"
		if s.Running[name] {
			state = "up"
		}
		parts = append(parts, name+"="+state)
	}
	return strings.Join(parts, ",")
}

func newEnvCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "env",
		Short: "Print a shell line pointing KUBECONFIG at the clusters' kubeconfig",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kubeconfig, err := localcluster.DefaultKubeconfig()
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "export KUBECONFIG=%s\n", kubeconfig)
			return nil
		},
	}
}
