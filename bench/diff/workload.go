package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/bench/internal/benchkit"
	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// owner labels the benchmark's objects as pipeline "bench", environment "perf".
var owner = diff.Owner{Pipeline: "bench", Environment: "perf"}

// workload is the benchmark's namespace, desired objects and files.
type workload struct {
	ns       string
	desired  []*unstructured.Unstructured
	changed  int
	files    string // directory of one manifest per object, for kubectl -f
	pipeline string // promote.yaml rendering the same files with Kustomize
	cleanup  func()
}

// prepare creates the namespace, applies the initial objects and writes
// the desired ones (a tenth changed) to files.
func prepare(ctx context.Context, tgt target, cfg config, dir string) (*workload, error) {
	c, err := kube.NewForConfig(tgt.Rest)
	if err != nil {
		return nil, err
	}
	ns, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-diff-"}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create namespace: %w", err)
	}
	w := &workload{ns: ns.Name, cleanup: func() {
		_ = c.Typed.CoreV1().Namespaces().Delete(context.WithoutCancel(ctx), ns.Name, metav1.DeleteOptions{})
	}}
	initial, desired := generate(ns.Name, cfg.objects)
	w.changed = cfg.objects / 10
	if initial, err = diff.Prepare(initial, owner); err != nil {
		return w, err
	}
	if w.desired, err = diff.Prepare(desired, owner); err != nil {
		return w, err
	}
	fmt.Fprintf(os.Stderr, "bench-diff: applying %d objects to namespace %s\n", len(initial), ns.Name)
	if err := applyAll(ctx, c, initial); err != nil {
		return w, err
	}
	if err := settle(ctx, c, ns.Name); err != nil {
		return w, err
	}
	return w, w.write(dir)
}

// settle waits until the deployment controller has caught up with every
// Deployment, so that its writes do not race the diffs being timed.
func settle(ctx context.Context, c *kube.Clients, ns string) error {
	for {
		list, err := c.Typed.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		pending := 0
		for _, d := range list.Items {
			if d.Status.ObservedGeneration != d.Generation || d.Annotations["deployment.kubernetes.io/revision"] == "" {
				pending++
			}
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// generate returns n objects as applied and as desired: 40% ConfigMaps,
// 30% Services (headless: the local cluster's service range holds 254
// addresses), 30% Deployments (0 replicas, so no pods load the cluster
// while it is timed); one object in ten changes.
func generate(ns string, n int) (initial, desired []*unstructured.Unstructured) {
	for i := range n {
		var before, after string
		name := fmt.Sprintf("obj-%04d", i)
		change := (i/10)%10 == 0
		switch i % 10 {
		case 0, 1, 2, 3:
			before = configMap(ns, name, "1")
			after = configMap(ns, name, map[bool]string{true: "2", false: "1"}[change])
		case 4, 5, 6:
			before = service(ns, name, 8080)
			after = service(ns, name, map[bool]int{true: 9090, false: 8080}[change])
		default:
			before = deployment(ns, name, "1.0")
			after = deployment(ns, name, map[bool]string{true: "1.1", false: "1.0"}[change])
		}
		initial, desired = append(initial, benchkit.Parse(before)), append(desired, benchkit.Parse(after))
	}
	return initial, desired
}

func configMap(ns, name, version string) string {
	return fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, metadata: {name: %s, namespace: %s},
data: {version: "%s", settings.yaml: "log: info\nlimits: {cpu: 1}\n"}}`, name, ns, version)
}

func service(ns, name string, port int) string {
	return fmt.Sprintf(`{apiVersion: v1, kind: Service, metadata: {name: %s, namespace: %s, labels: {app: %s}},
spec: {clusterIP: None, selector: {app: %s}, ports: [{name: http, port: 80, targetPort: %d}]}}`, name, ns, name, name, port)
}

func deployment(ns, name, tag string) string {
	return fmt.Sprintf(`{apiVersion: apps/v1, kind: Deployment, metadata: {name: %s, namespace: %s, labels: {app: %s}},
spec: {replicas: 0, selector: {matchLabels: {app: %s}}, template: {metadata: {labels: {app: %s}},
spec: {containers: [{name: app, image: "registry.test/bench/app:%s", ports: [{containerPort: 8080}],
resources: {requests: {cpu: 10m, memory: 16Mi}}}]}}}}`, name, ns, name, name, name, tag)
}

// applyAll server-side applies objs as kubectl-promote, 16 at a time.
func applyAll(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured) error {
	sem := make(chan struct{}, 16)
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	for i, u := range objs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = applyOne(ctx, c, u)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func applyOne(ctx context.Context, c *kube.Clients, u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	body, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	_, err = c.Dynamic.Resource(m.Resource).Namespace(u.GetNamespace()).Patch(ctx, u.GetName(), types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: kube.FieldManager})
	if err != nil {
		return fmt.Errorf("apply %s: %w", kube.RefOf(u), err)
	}
	return nil
}

// write puts one manifest per object in app/manifests (kubectl visits
// files concurrently, objects within a file one by one), a kustomization
// over them in app, and a promote.yaml whose environment renders app.
func (w *workload) write(dir string) error {
	w.files = filepath.Join(dir, "app", "manifests")
	if err := os.MkdirAll(w.files, 0o755); err != nil {
		return err
	}
	var resources []string
	for _, u := range w.desired {
		b, err := yaml.Marshal(u.Object)
		if err != nil {
			return err
		}
		name := u.GetName() + ".yaml"
		if err := os.WriteFile(filepath.Join(w.files, name), b, 0o644); err != nil {
			return err
		}
		resources = append(resources, "- manifests/"+name)
	}
	kustomization := "resources:\n" + strings.Join(resources, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "app", "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		return err
	}
	w.pipeline = filepath.Join(dir, "promote.yaml")
	p := fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: %s}
spec:
  environments:
  - {name: %s, namespace: %s, source: {kustomize: {path: app}}}
`, owner.Pipeline, owner.Environment, w.ns)
	return os.WriteFile(w.pipeline, []byte(p), 0o644)
}
