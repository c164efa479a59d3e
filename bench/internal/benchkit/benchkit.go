// Package benchkit holds what the cluster benchmarks (bench/diff,
// bench/apply) share: the local cluster they run on, medians, and the
// small helpers of their reports.
package benchkit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// Target is the cluster a benchmark runs against.
type Target struct {
	Rest       *rest.Config
	Kubeconfig string
}

// Cluster is the cluster of kubeconfig when given, else a local cluster
// named name with nodes fake nodes (0: the default) started for the run;
// stop stops it and removes its files.
func Cluster(ctx context.Context, name, kubeconfig string, nodes int) (t Target, stop func(), err error) {
	if kubeconfig != "" {
		rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		return Target{Rest: rc, Kubeconfig: kubeconfig}, func() {}, err
	}
	dir, err := os.MkdirTemp("", name+"-cluster-")
	if err != nil {
		return Target{}, nil, err
	}
	start := time.Now()
	c, err := localcluster.Up(ctx, localcluster.Options{Name: name, Nodes: nodes, Dir: filepath.Join(dir, "state")})
	if err != nil {
		return Target{}, nil, err
	}
	fmt.Fprintf(os.Stderr, "%s: local cluster up in %s\n", name, time.Since(start).Round(time.Second))
	stop = func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := c.Stop(sctx); err != nil {
			fmt.Fprintf(os.Stderr, "%s: stop cluster: %v\n", name, err)
		}
		os.RemoveAll(dir)
	}
	return Target{Rest: c.RESTConfig(), Kubeconfig: c.Kubeconfig}, stop, nil
}

// Median is the median of ds (the upper one of an even count).
func Median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Verdict names whether a target was met.
func Verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// Parse decodes one of a benchmark's own YAML objects; a failure is a bug
// in the benchmark, not an input error.
func Parse(y string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	j, err := yaml.YAMLToJSON([]byte(y))
	if err == nil {
		err = u.UnmarshalJSON(j)
	}
	if err != nil {
		panic(fmt.Sprintf("bench object %q: %v", y, err))
	}
	return u
}
