// Command components is one multi-call binary holding every process of the
// local cluster: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and the kwok controller. Linking them together pays the
// (slow) link step once instead of five times.
//
// Run it as `components NAME ARGS…`, or through a symlink called NAME.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	_ "time/tzdata"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kwokconfig "sigs.k8s.io/kwok/pkg/config"
	kwokcmd "sigs.k8s.io/kwok/pkg/kwok/cmd"
	kwoklog "sigs.k8s.io/kwok/pkg/log"
	"sigs.k8s.io/kwok/pkg/utils/signals"
)

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "components" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, "usage: components etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kwok [ARGS…]")
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	os.Args = append([]string{name}, args...)
	os.Exit(run(name, args))
}

func run(name string, args []string) int {
	switch name {
	case "etcd":
		etcdmain.Main(os.Args)
		return 0
	case "kube-apiserver":
		return cli.Run(apiserver.NewAPIServerCommand())
	case "kube-controller-manager":
		return cli.Run(controllermanager.NewControllerManagerCommand())
	case "kube-scheduler":
		return cli.Run(scheduler.NewSchedulerCommand())
	case "kwok":
		return runKwok()
	case "version":
		fmt.Println(version)
		return 0
	}
	fmt.Fprintf(os.Stderr, "components: unknown component %q\n", name)
	return 2
}

// version is stamped at link time so the build cache can tell stale binaries.
var version = "dev"

// runKwok mirrors sigs.k8s.io/kwok/cmd/kwok/main.go.
func runKwok() int {
	// The Kubernetes packages linked in register a non-bool --version flag
	// on pflag.CommandLine (component-base/version/verflag). Cobra merges
	// that set into kwok's command and then fails reading its own bool
	// --version ("trying to get bool value of flag of type version").
	// kwok uses none of those global flags.
	pflag.CommandLine = pflag.NewFlagSet(os.Args[0], pflag.ContinueOnError)
	flagset := pflag.NewFlagSet("global", pflag.ContinueOnError)
	flagset.ParseErrorsAllowlist.UnknownFlags = true
	flagset.Usage = func() {}
	ctx := signals.SetupSignalContext()
	ctx, logger := kwoklog.InitFlags(ctx, flagset)
	ctx, err := kwokconfig.InitFlags(ctx, flagset)
	if err != nil {
		logger.Error("init config flags", "err", err)
		return 1
	}
	command := kwokcmd.NewCommand(ctx)
	command.PersistentFlags().AddFlagSet(flagset)
	if err := command.ExecuteContext(ctx); err != nil {
		logger.Error("execute", "err", err)
		return 1
	}
	return 0
}
