package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/bench/internal/benchkit"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// contender is one way of applying the release into namespace ns and
// waiting until it is available.
type contender struct {
	name string
	run  func(ctx context.Context, ns string) (phases, error)
}

// phases are the times from the start of a run to the start of each
// phase of the in-process deploy, in order.
type phases []phase

type phase struct {
	name string
	at   time.Duration
}

// result is a contender's timed runs.
type result struct {
	name    string
	times   []time.Duration
	phases  phases // of the median run
	skipped string
}

func (r result) median() time.Duration { return benchkit.Median(r.times) }

// The rows the target compares, by index in contenders.
const (
	rowKubectl   = 0
	rowInProcess = 1
	rowBinary    = 2
)

func contenders(tgt target, cfg config, w *workload) []contender {
	return []contender{
		{"kubectl apply --server-side + kubectl wait", func(ctx context.Context, ns string) (phases, error) {
			return nil, kubectlApply(ctx, tgt, cfg, w, ns)
		}},
		{"kubectl-promote, in process (promote.Deploy)", func(ctx context.Context, ns string) (phases, error) {
			return inProcess(ctx, tgt, cfg, w, ns)
		}},
		{cfg.binary + " apply", func(ctx context.Context, ns string) (phases, error) {
			return nil, binaryApply(ctx, tgt, cfg, w, ns)
		}},
	}
}

// measureAll runs every contender cfg.runs times, interleaved, each run
// in a namespace of its own that is deleted (untimed) afterwards.
func measureAll(ctx context.Context, tgt target, cfg config, w *workload) ([]result, error) {
	clients, err := kube.NewForConfig(tgt.Rest)
	if err != nil {
		return nil, err
	}
	cs := contenders(tgt, cfg, w)
	results := make([]result, len(cs))
	for i, c := range cs {
		results[i].name = c.name
	}
	if _, err := os.Stat(cfg.binary); err != nil {
		results[rowBinary].skipped = cfg.binary + " not found (make build)"
	}
	for run := range cfg.runs {
		for i, c := range cs {
			if results[i].skipped != "" {
				continue
			}
			ns := fmt.Sprintf("bench-apply-%d-%d", i, run)
			if err := namespace(ctx, clients, ns); err != nil {
				return nil, err
			}
			fmt.Fprintf(os.Stderr, "bench-apply: %s, run %d, namespace %s\n", c.name, run+1, ns)
			start := time.Now()
			ph, err := c.run(ctx, ns)
			took := time.Since(start)
			if err != nil {
				return nil, fmt.Errorf("%s, run %d: %w", c.name, run+1, err)
			}
			fmt.Fprintf(os.Stderr, "bench-apply: %s, run %d: %s\n", c.name, run+1, took.Round(10*time.Millisecond))
			results[i].times = append(results[i].times, took)
			if took == results[i].median() {
				results[i].phases = ph
			}
			if err := deleteNamespace(ctx, clients, ns); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}

func kubectlApply(ctx context.Context, tgt target, cfg config, w *workload, ns string) error {
	common := []string{"--kubeconfig", tgt.Kubeconfig, "-n", ns}
	if err := command(ctx, cfg.kubectl, append([]string{"apply", "--server-side", "--field-manager", "bench-kubectl", "-f", w.files()}, common...)...); err != nil {
		return err
	}
	return command(ctx, cfg.kubectl, append([]string{"wait", "--for=condition=Available", "deployment", "--all", "--timeout=10m"}, common...)...)
}

func binaryApply(ctx context.Context, tgt target, cfg config, w *workload, ns string) error {
	path, err := w.pipeline(ns)
	if err != nil {
		return err
	}
	return command(ctx, cfg.binary, "apply", envName, "-f", path, "--kubeconfig", tgt.Kubeconfig, "--yes")
}

// inProcess deploys with promote.Deploy on fresh clients (discovery
// included), recording when each phase starts.
func inProcess(ctx context.Context, tgt target, cfg config, w *workload, ns string) (phases, error) {
	start := time.Now()
	clients, err := kube.NewForConfig(tgt.Rest)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var ph phases
	events := func(e promote.Event) {
		mu.Lock()
		defer mu.Unlock()
		if cfg.verbose {
			fmt.Fprintf(os.Stderr, "%s %s: %s\n", e.Time.Format("15:04:05.000"), e.Phase, e.Message)
		}
		if len(ph) == 0 || ph[len(ph)-1].name != e.Phase {
			ph = append(ph, phase{e.Phase, time.Since(start)})
		}
	}
	env := &pipeline.Environment{Name: envName, Namespace: ns}
	_, err = promote.Deploy(ctx, promote.Request{
		Pipeline: pipelineName, Env: env, Namespace: ns, Clients: clients, Objects: w.objects(ns),
		Health: pipeline.Health{
			Timeout: pipeline.Duration(10 * time.Minute), UndoTimeout: pipeline.Duration(5 * time.Minute), Verify: pipeline.Duration(time.Millisecond),
			RestartLimit: 2, UnschedulableGrace: pipeline.Duration(time.Minute),
		},
		History: 10, Holder: release.Holder{User: "bench-apply"}, Events: events,
	})
	ph = append(ph, phase{"end", time.Since(start)})
	return ph, err
}

func command(ctx context.Context, name string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, args[0], err, benchkit.Tail(out.String(), 20))
	}
	return nil
}

// namespace creates ns and waits for its default ServiceAccount, without
// which the apiserver refuses pods.
func namespace(ctx context.Context, clients *kube.Clients, ns string) error {
	_, err := clients.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	return poll(ctx, time.Minute, "ServiceAccount/"+ns+"/default", func() (bool, error) {
		_, err := clients.Typed.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

// deleteNamespace deletes ns and waits until it is gone, so that its pods
// do not fill the nodes of the next run.
func deleteNamespace(ctx context.Context, clients *kube.Clients, ns string) error {
	if err := clients.Typed.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		return err
	}
	return poll(ctx, 5*time.Minute, "Namespace/"+ns+" deletion", func() (bool, error) {
		_, err := clients.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

func poll(ctx context.Context, timeout time.Duration, what string, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := done()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, errors.Join(ctx.Err(), context.Cause(ctx)))
		case <-time.After(500 * time.Millisecond):
		}
	}
}
