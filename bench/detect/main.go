package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

type config struct {
	runs             int
	progressDeadline int
	replicas         int
	kubectl          string
	namespace        string
}

func main() {
	var cfg config
	flag.IntVar(&cfg.runs, "runs", 10, "number of bad releases to measure")
	flag.IntVar(&cfg.progressDeadline, "progress-deadline", 30, "progressDeadlineSeconds of the Deployments (when kubectl rollout status gives up)")
	flag.IntVar(&cfg.replicas, "replicas", 3, "replicas of each Deployment")
	flag.StringVar(&cfg.kubectl, "kubectl", "kubectl", "kubectl binary")
	flag.Parse()
	cfg.namespace = "bench-detect"
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-detect:", err)
		os.Exit(1)
	}
}

// sample is one run's measurements.
type sample struct {
	reason         string
	applyToStatus  time.Duration // update applied → first failing pod status seen here
	statusToReturn time.Duration // first failing pod status seen here → Watch returned
	observedToRet  time.Duration // Watch's own Failure.Observed → Watch returned
	applyToReturn  time.Duration // update applied → Watch returned
	kubectl        time.Duration // update applied → kubectl rollout status exited
	kubectlOut     string
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	c, err := localcluster.Up(ctx, localcluster.Options{Name: "bench-detect", Progress: os.Stderr})
	if err != nil {
		return err
	}
	defer func() {
		if err := c.Stop(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintln(os.Stderr, "bench-detect: stop cluster:", err)
		}
	}()
	clients, err := kube.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	if _, err := clients.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cfg.namespace}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	if err := waitServiceAccount(ctx, clients, cfg.namespace); err != nil {
		return err
	}
	fmt.Fprintf(out, "local cluster up in %s; %d runs, %d replicas, progressDeadlineSeconds %d\n",
		c.BootTime.Round(time.Millisecond), cfg.runs, cfg.replicas, cfg.progressDeadline)
	samples := make([]sample, cfg.runs)
	var kubectls sync.WaitGroup
	for i := range samples {
		if err := measure(ctx, cfg, c, clients, i, &samples[i], &kubectls); err != nil {
			kubectls.Wait()
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Fprintf(os.Stderr, "run %d: %s after %s\n", i+1, samples[i].reason, samples[i].applyToReturn.Round(time.Millisecond))
	}
	kubectls.Wait()
	report(out, cfg, samples)
	return nil
}

// measure does one run. kubectl rollout status keeps running in the
// background until the progress deadline; kubectls waits for it.
func measure(ctx context.Context, cfg config, c *localcluster.Cluster, clients *kube.Clients, i int, s *sample, kubectls *sync.WaitGroup) error {
	name := fmt.Sprintf("app-%d", i+1)
	good, err := apply(ctx, clients, deployment(cfg, name, ""))
	if err != nil {
		return err
	}
	if err := watch.Watch(ctx, clients, []*unstructured.Unstructured{good}, watch.Options{Verify: -1, Timeout: 2 * time.Minute}, nil); err != nil {
		return fmt.Errorf("good release: %w", err)
	}
	firstBad, err := watchFirstFailingPod(ctx, clients, cfg.namespace, name)
	if err != nil {
		return err
	}
	applied := time.Now()
	bad, err := apply(ctx, clients, deployment(cfg, name, "crashloop"))
	if err != nil {
		return err
	}
	kubectls.Add(1)
	go func() {
		defer kubectls.Done()
		s.kubectl, s.kubectlOut = rolloutStatus(ctx, cfg, c.Kubeconfig, name, applied)
	}()
	err = watch.Watch(ctx, clients, []*unstructured.Unstructured{bad}, watch.Options{Timeout: 2 * time.Minute}, nil)
	returned := time.Now()
	var f *watch.Failure
	if !errors.As(err, &f) {
		return fmt.Errorf("bad release: Watch() = %v, want a *watch.Failure", err)
	}
	seen := <-firstBad
	s.reason = f.Reason
	s.applyToReturn = returned.Sub(applied)
	s.observedToRet = returned.Sub(f.Observed)
	if !seen.IsZero() {
		s.applyToStatus, s.statusToReturn = seen.Sub(applied), returned.Sub(seen)
	}
	return nil
}

// watchFirstFailingPod starts a pod watch of its own and delivers when it
// first saw a failing status of one of the app's pods (zero if none came
// within a minute).
func watchFirstFailingPod(ctx context.Context, clients *kube.Clients, ns, app string) (<-chan time.Time, error) {
	w, err := clients.Typed.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return nil, err
	}
	out := make(chan time.Time, 1)
	go func() {
		defer w.Stop()
		timeout := time.After(time.Minute)
		for {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					out <- time.Time{}
					return
				}
				if p, isPod := ev.Object.(*corev1.Pod); isPod && watch.PodFailure(p, watch.Options{}, time.Now()) != nil {
					out <- time.Now()
					return
				}
			case <-timeout:
				out <- time.Time{}
				return
			}
		}
	}()
	return out, nil
}

// rolloutStatus runs kubectl rollout status and returns how long after
// applied it exited, with its last line of output.
func rolloutStatus(ctx context.Context, cfg config, kubeconfig, name string, applied time.Time) (time.Duration, string) {
	timeout := fmt.Sprintf("--timeout=%ds", cfg.progressDeadline*4)
	cmd := exec.CommandContext(ctx, cfg.kubectl, "--kubeconfig", kubeconfig, "-n", cfg.namespace,
		"rollout", "status", "deployment/"+name, timeout)
	outb, err := cmd.CombinedOutput()
	d := time.Since(applied)
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	last := lines[len(lines)-1]
	if err != nil {
		last += " (" + err.Error() + ")"
	}
	return d, last
}

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

func deployment(cfg config, name, fate string) *appsv1.Deployment {
	replicas, deadline := int32(cfg.replicas), int32(cfg.progressDeadline)
	labels := map[string]string{"app": name}
	podLabels := map[string]string{"app": name}
	image := "example.com/app:good"
	if fate != "" {
		podLabels["promote.test/fate"] = fate
		image = "example.com/app:" + fate
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: cfg.namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas, ProgressDeadlineSeconds: &deadline,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
			},
		},
	}
}

func apply(ctx context.Context, clients *kube.Clients, d *appsv1.Deployment) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	force := true
	u, err := clients.Dynamic.Resource(deploymentsGVR).Namespace(d.Namespace).Patch(ctx, d.Name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: "bench-detect", Force: &force})
	if err != nil {
		//lint:ignore ST1005 errors start with the object's Kind/name, as everywhere in this project
		return nil, fmt.Errorf("Deployment/%s/%s: %w", d.Namespace, d.Name, err)
	}
	return u, nil
}

func waitServiceAccount(ctx context.Context, clients *kube.Clients, ns string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		if _, err := clients.Typed.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ServiceAccount/%s/default: %w", ns, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
