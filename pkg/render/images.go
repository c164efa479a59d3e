package render

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ImageRepository splits "reg:5000/a/b:tag@sha256:…" → "reg:5000/a/b": the
// reference without its digest and tag. It does not normalise ("nginx" stays
// "nginx", not "docker.io/library/nginx"), so references are matched as
// written.
func ImageRepository(ref string) string {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	// A tag is after the last colon that follows the last slash; a colon
	// before it belongs to a registry port.
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return ref
}

// podSpecPaths is where each workload kind keeps its pod spec.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// containerFields are the container lists whose images are artifacts.
var containerFields = []string{"initContainers", "containers"}

// visitImages calls fn with each container of a workload's pod spec; fn
// returns the image to set (or the same one).
func visitImages(o *unstructured.Unstructured, fn func(image string) string) {
	path, ok := podSpecPaths[o.GetKind()]
	if !ok {
		return
	}
	spec, ok := nestedMap(o.Object, path)
	if !ok {
		return
	}
	for _, field := range containerFields {
		list, _ := spec[field].([]interface{})
		for _, c := range list {
			c, ok := c.(map[string]interface{})
			if !ok {
				continue
			}
			if image, ok := c["image"].(string); ok {
				c["image"] = fn(image)
			}
		}
	}
}

// nestedMap walks path without copying, unlike unstructured.NestedMap,
// because the images are edited in place.
func nestedMap(obj map[string]interface{}, path []string) (map[string]interface{}, bool) {
	m := obj
	for _, p := range path {
		next, ok := m[p].(map[string]interface{})
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}

// overrideImages replaces every image whose repository is a key of images.
func overrideImages(objs []*unstructured.Unstructured, images map[string]string) {
	if len(images) == 0 {
		return
	}
	// Keys are repositories, but a key written with a tag still means its
	// repository.
	byRepo := make(map[string]string, len(images))
	for repo, ref := range images {
		byRepo[ImageRepository(repo)] = ref
	}
	for _, o := range objs {
		visitImages(o, func(image string) string {
			if ref, ok := byRepo[ImageRepository(image)]; ok {
				return ref
			}
			return image
		})
	}
}

// collectImages returns the images of objs, sorted and de-duplicated.
func collectImages(objs []*unstructured.Unstructured) []string {
	seen := map[string]bool{}
	for _, o := range objs {
		visitImages(o, func(image string) string {
			seen[image] = true
			return image
		})
	}
	out := make([]string, 0, len(seen))
	for image := range seen {
		out = append(out, image)
	}
	sort.Strings(out)
	return out
}
