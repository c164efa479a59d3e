package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/test/gatewayapi"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// Resources the switching tests observe.
var (
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	services    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	ingresses   = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}
	httpRoutes  = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	crds        = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// gone is the value a sequence shows for a deleted object.
const gone = "<deleted>"

// seen is one change of one object, as a watch delivered it.
type seen struct {
	resource string
	name     string
	deleted  bool
	obj      *unstructured.Unstructured
}

// observer records, by watch, every change to the objects of some
// resources in a namespace, in the order they arrive.
type observer struct {
	mu     sync.Mutex
	events []seen
}

// observe lists resources in ns, then watches them until the test ends.
func observe(t *testing.T, dyn dynamic.Interface, ns string, resources ...schema.GroupVersionResource) *observer {
	t.Helper()
	o := &observer{}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	t.Cleanup(cancel)
	for _, gvr := range resources {
		ri := dyn.Resource(gvr).Namespace(ns)
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list %s: %v", gvr.Resource, err)
		}
		for i := range list.Items {
			o.events = append(o.events, seen{resource: gvr.Resource, name: list.Items[i].GetName(), obj: &list.Items[i]})
		}
		w, err := ri.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
		if err != nil {
			t.Fatalf("watch %s: %v", gvr.Resource, err)
		}
		go o.follow(ctx, ri, gvr.Resource, list.GetResourceVersion(), w)
	}
	return o
}

// follow records one watch's events, watching again from the last
// resourceVersion whenever the server ends the stream.
func (o *observer) follow(ctx context.Context, ri dynamic.ResourceInterface, resource, rv string, w watch.Interface) {
	for {
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			rv = u.GetResourceVersion()
			o.mu.Lock()
			o.events = append(o.events, seen{resource: resource, name: u.GetName(), deleted: ev.Type == watch.Deleted, obj: u})
			o.mu.Unlock()
		}
		if ctx.Err() != nil {
			return
		}
		var err error
		for w, err = ri.Watch(ctx, metav1.ListOptions{ResourceVersion: rv}); err != nil; w, err = ri.Watch(ctx, metav1.ListOptions{ResourceVersion: rv}) {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// values returns what f reads from every observed version of an object,
// consecutive repeats folded, gone for a deletion; "" values are skipped.
func (o *observer) values(resource, name string, f func(*unstructured.Unstructured) string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, e := range o.events {
		if e.resource != resource || e.name != name {
			continue
		}
		v := gone
		if !e.deleted {
			v = f(e.obj)
		}
		if v != "" && (len(out) == 0 || out[len(out)-1] != v) {
			out = append(out, v)
		}
	}
	return out
}

// first returns the index of the first observed change for which match
// holds, or -1.
func (o *observer) first(resource, name string, match func(*unstructured.Unstructured) bool) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, e := range o.events {
		if e.resource == resource && e.name == name && !e.deleted && match(e.obj) {
			return i
		}
	}
	return -1
}

// at returns the last observed version of an object before index i.
func (o *observer) at(resource, name string, i int) *unstructured.Unstructured {
	o.mu.Lock()
	defer o.mu.Unlock()
	var last *unstructured.Unstructured
	for _, e := range o.events[:i] {
		if e.resource == resource && e.name == name && !e.deleted {
			last = e.obj
		}
	}
	return last
}

// Readers of observed objects.

func replicas(u *unstructured.Unstructured) string {
	n, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
	return fmt.Sprint(n)
}

func image(u *unstructured.Unstructured) string {
	cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	if len(cs) == 0 {
		return ""
	}
	img, _, _ := unstructured.NestedString(cs[0].(map[string]any), "image")
	return img[strings.LastIndex(img, ":")+1:]
}

func selectorValue(key string) func(*unstructured.Unstructured) string {
	return func(u *unstructured.Unstructured) string {
		v, ok, _ := unstructured.NestedString(u.Object, "spec", "selector", key)
		if !ok {
			return "-"
		}
		return v
	}
}

func annotation(key string) func(*unstructured.Unstructured) string {
	return func(u *unstructured.Unstructured) string { return u.GetAnnotations()[key] }
}

// routeWeight reads the weight of the backendRef to service.
func routeWeight(service string) func(*unstructured.Unstructured) string {
	return func(u *unstructured.Unstructured) string {
		rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
		for _, r := range rules {
			refs, _, _ := unstructured.NestedSlice(r.(map[string]any), "backendRefs")
			for _, ref := range refs {
				m := ref.(map[string]any)
				if m["name"] == service {
					w, ok, _ := unstructured.NestedInt64(m, "weight")
					if !ok {
						return "unset"
					}
					return fmt.Sprint(w)
				}
			}
		}
		return "none"
	}
}

// gatewayCRDs installs the Gateway API CRDs of the module this repository
// requires, once per test binary: HTTPRoute is an object like any other
// here, no Gateway controller runs.
var gatewayCRDs struct {
	once sync.Once
	err  error
}

func installGatewayAPI(t *testing.T, c *localcluster.Cluster, dyn dynamic.Interface) {
	t.Helper()
	gatewayCRDs.once.Do(func() { gatewayCRDs.err = applyGatewayCRDs(t.Context(), dyn) })
	if gatewayCRDs.err != nil {
		t.Fatalf("installing the Gateway API CRDs: %v", gatewayCRDs.err)
	}
}

func applyGatewayCRDs(ctx context.Context, dyn dynamic.Interface) error {
	dir, err := gatewayapi.CRDDir(ctx)
	if err != nil {
		return err
	}
	for _, f := range []string{gatewayapi.GatewayClasses, gatewayapi.Gateways, gatewayapi.HTTPRoutes} {
		if err := applyCRD(ctx, dyn, filepath.Join(dir, f)); err != nil {
			return err
		}
	}
	return nil
}

func applyCRD(ctx context.Context, dyn dynamic.Interface, path string) error {
	data, err := readYAMLObject(path)
	if err != nil {
		return err
	}
	force := true
	u, err := dyn.Resource(crds).Patch(ctx, data.GetName(), types.ApplyPatchType, mustJSON(data), metav1.PatchOptions{FieldManager: "e2e", Force: &force})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		got, err := dyn.Resource(crds).Get(ctx, u.GetName(), metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		if err == nil && established(got) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("CRD %s not Established", u.GetName())
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

func readYAMLObject(path string) (*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &unstructured.Unstructured{Object: m}, nil
}

func mustJSON(u *unstructured.Unstructured) []byte {
	b, err := json.Marshal(u.Object)
	if err != nil {
		panic(err) // a decoded YAML object always encodes
	}
	return b
}
