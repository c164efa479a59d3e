package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestImageRepository(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"nginx", "nginx"},
		{"nginx:1.27", "nginx"},
		{"docker.io/library/nginx:1.27", "docker.io/library/nginx"},
		{"reg:5000/a/b", "reg:5000/a/b"},
		{"reg:5000/a/b:tag", "reg:5000/a/b"},
		{"reg:5000/a/b:tag@sha256:4315c8fd", "reg:5000/a/b"},
		{"reg:5000/a/b@sha256:4315c8fd", "reg:5000/a/b"},
		{"localhost:5000/web", "localhost:5000/web"},
		{"", ""},
	} {
		if got := ImageRepository(tc.ref); got != tc.want {
			t.Errorf("ImageRepository(%q) = %q, want %q", tc.ref, got, tc.want)
		}
	}
}

func TestOverrideImages(t *testing.T) {
	const digest = "registry.example.com/shop/web@sha256:4315c8fd5a82533f56a83922bc1d5a2cff2b1f1e76117f66673abbcffd6c9fff"
	images := map[string]string{
		"registry.example.com/shop/web":        digest,
		"registry.example.com/shop/cart:9.9.9": "registry.example.com/shop/cart:2.2.0", // a key with a tag still means its repository
	}
	for _, tc := range []struct {
		name string
		obj  *unstructured.Unstructured
		want []string
	}{{
		name: "deployment containers and init containers",
		obj: workload("Deployment", []string{"spec", "template", "spec"},
			"registry.example.com/shop/web:1.0", "registry.example.com/shop/web:1.0@sha256:aaaa", "registry.example.com/other:1"),
		want: []string{digest, digest, "registry.example.com/other:1"},
	}, {
		name: "cronjob",
		obj:  workload("CronJob", []string{"spec", "jobTemplate", "spec", "template", "spec"}, "registry.example.com/shop/cart:2.1.0"),
		want: []string{"registry.example.com/shop/cart:2.2.0"},
	}, {
		name: "pod",
		obj:  workload("Pod", []string{"spec"}, "registry.example.com/shop/web"),
		want: []string{digest},
	}, {
		name: "not a workload",
		obj:  workload("ConfigMap", []string{"spec", "template", "spec"}, "registry.example.com/shop/web:1.0"),
		want: nil,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			objs := []*unstructured.Unstructured{tc.obj}
			overrideImages(objs, images)
			var got []string
			visitImages(tc.obj, func(i string) string { got = append(got, i); return i })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCollectImages(t *testing.T) {
	objs := []*unstructured.Unstructured{
		workload("Deployment", []string{"spec", "template", "spec"}, "b:1", "a:1"),
		workload("Job", []string{"spec", "template", "spec"}, "a:1", "c@sha256:ff"),
	}
	want := []string{"a:1", "b:1", "c@sha256:ff"}
	if diff := cmp.Diff(want, collectImages(objs)); diff != "" {
		t.Errorf("collectImages (-want +got):\n%s", diff)
	}
}

// workload builds an object of kind with its pod spec at path: the first
// image goes to an init container, the rest to containers.
func workload(kind string, path []string, images ...string) *unstructured.Unstructured {
	var init, containers []interface{}
	for i, image := range images {
		c := map[string]interface{}{"name": "c", "image": image}
		if i == 0 && len(images) > 1 {
			init = append(init, c)
			continue
		}
		containers = append(containers, c)
	}
	spec := map[string]interface{}{"containers": containers}
	if init != nil {
		spec["initContainers"] = init
	}
	obj := map[string]interface{}{"apiVersion": "v1", "kind": kind, "metadata": map[string]interface{}{"name": "x"}}
	m := obj
	for _, p := range path[:len(path)-1] {
		next := map[string]interface{}{}
		m[p] = next
		m = next
	}
	m[path[len(path)-1]] = spec
	return &unstructured.Unstructured{Object: obj}
}
