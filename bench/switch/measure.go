package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/promote"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	rwatch "github.com/kubectl-promote/kubectl-promote/pkg/rollout/watch"
)

// result is one run's measurements.
type result struct {
	scenario  string
	run       int
	reason    string
	toTraffic time.Duration // Failure.Observed → traffic back seen by this program's watch
	toDone    time.Duration // Failure.Observed → Deploy returned (undo complete)
	what      string
}

var health = pipeline.Health{
	Timeout: pipeline.Duration(time.Minute), UndoTimeout: pipeline.Duration(time.Minute),
	Verify: pipeline.Duration(time.Second), RestartLimit: 2, UnschedulableGrace: pipeline.Duration(30 * time.Second),
}

// measure deploys a healthy release and a second one, fails a pod of the
// second once it carries traffic, and times the way back.
func measure(ctx context.Context, clients *kube.Clients, cfg config, name string, run int) (result, error) {
	sc := scenarios[name]
	r := result{scenario: name, run: run, what: sc.what}
	ns := fmt.Sprintf("bench-switch-%s-%d", name, run)
	if err := namespace(ctx, clients, ns); err != nil {
		return r, err
	}
	env := &pipeline.Environment{Name: "bench", Namespace: ns, Strategy: sc.strategy}
	first, err := app(sc, ns, "1.0", cfg.replicas)
	if err != nil {
		return r, err
	}
	if _, err := deploy(ctx, clients, env, first); err != nil {
		return r, fmt.Errorf("first release: %w", err)
	}
	rec, err := record(ctx, clients, ns, sc)
	if err != nil {
		return r, err
	}
	defer rec.stop()
	second, err := app(sc, ns, "2.0", cfg.replicas)
	if err != nil {
		return r, err
	}
	done := make(chan error, 1)
	go func() { _, err := deploy(ctx, clients, env, second); done <- err }()
	if err := waitCarrying(ctx, clients, ns, sc, done); err != nil {
		return r, err
	}
	if err := failOnePod(ctx, clients, ns, sc.newPods); err != nil {
		return r, err
	}
	err = <-done
	returned := time.Now()
	var f *rwatch.Failure
	if exitcode.Code(err) != exitcode.RolledBack || !errors.As(err, &f) {
		return r, fmt.Errorf("second release: want a rolled-back pod failure, got %v", err)
	}
	back, ok := rec.backAfter(sc)
	if !ok {
		return r, fmt.Errorf("%s %s never observed sending nothing to the new side", sc.resource.Resource, sc.object)
	}
	r.reason, r.toTraffic, r.toDone = f.Reason, back.Sub(f.Observed), returned.Sub(f.Observed)
	return r, nil
}

// events prints the deploys' progress with -v.
var events func(promote.Event)

func deploy(ctx context.Context, clients *kube.Clients, env *pipeline.Environment, objs []*unstructured.Unstructured) (*promote.Result, error) {
	return promote.Deploy(ctx, promote.Request{
		Pipeline: "bench", Env: env, Namespace: env.Namespace, Clients: clients, Objects: objs,
		Health: health, History: 10, Holder: release.Holder{User: "bench-switch"}, Events: events,
	})
}

func namespace(ctx context.Context, clients *kube.Clients, ns string) error {
	_, err := clients.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
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

// waitCarrying waits until the second release carries traffic.
func waitCarrying(ctx context.Context, clients *kube.Clients, ns string, sc scenario, done <-chan error) error {
	store := release.NewStore(clients.Typed, ns, "bench", "bench")
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("second release ended before it carried traffic: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if st, _, err := store.State(ctx); err == nil && st != nil && sc.carrying(st) {
			return nil
		}
	}
	return fmt.Errorf("the second release never carried traffic")
}

// failOnePod gives one pod of the new side the crash-loop fate.
func failOnePod(ctx context.Context, clients *kube.Clients, ns, selector string) error {
	pods, err := clients.Typed.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil || len(pods.Items) == 0 {
		return fmt.Errorf("pods %s: %v (%d)", selector, err, len(pods.Items))
	}
	patch := []byte(`{"metadata":{"labels":{"promote.test/fate":"crashloop"}}}`)
	_, err = clients.Typed.CoreV1().Pods(ns).Patch(ctx, pods.Items[0].Name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// recorder keeps every version of one object a watch delivered, with the
// time it arrived.
type recorder struct {
	mu     sync.Mutex
	seen   []version
	cancel context.CancelFunc
}

type version struct {
	at  time.Time
	obj *unstructured.Unstructured // nil: deleted
}

func record(ctx context.Context, clients *kube.Clients, ns string, sc scenario) (*recorder, error) {
	ctx, cancel := context.WithCancel(ctx)
	w, err := clients.Dynamic.Resource(sc.resource).Namespace(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + sc.object})
	if err != nil {
		cancel()
		return nil, err
	}
	r := &recorder{cancel: cancel}
	go func() {
		for ev := range w.ResultChan() {
			u, _ := ev.Object.(*unstructured.Unstructured)
			if ev.Type == watch.Deleted {
				u = nil
			} else if u == nil {
				continue
			}
			r.mu.Lock()
			r.seen = append(r.seen, version{at: time.Now(), obj: u})
			r.mu.Unlock()
		}
	}()
	return r, nil
}

func (r *recorder) stop() { r.cancel() }

// backAfter returns when the object first sent nothing to the new side
// after it last sent it some.
func (r *recorder) backAfter(sc scenario) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	last := -1
	for i, v := range r.seen {
		if v.obj != nil && !sc.back(v.obj) {
			last = i
		}
	}
	for _, v := range r.seen[last+1:] {
		if v.obj == nil || sc.back(v.obj) {
			return v.at, last >= 0
		}
	}
	return time.Time{}, false
}
