package main

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
	"github.com/kubectl-promote/kubectl-promote/pkg/rollout"
)

// scenario is one way of splitting traffic, and how this program sees that
// the new side gets none any more.
type scenario struct {
	strategy pipeline.Strategy
	route    bool // the release has HTTPRoute shop
	preview  bool // the release has Service web-preview
	// resource/object are what the program watches; back tells whether a
	// version of it (nil: deleted) sends nothing to the new side.
	resource schema.GroupVersionResource
	object   string
	back     func(u *unstructured.Unstructured) bool
	what     string
	// carrying tells from the rollout state that the new side has traffic.
	carrying func(*release.State) bool
	// newPods selects the pods of the new side.
	newPods string
}

var (
	deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	servicesGVR    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	ingressesGVR   = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}
	httpRoutesGVR  = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
)

func canary(traffic *pipeline.Traffic) pipeline.Strategy {
	fifty := 50
	return pipeline.Strategy{Canary: &pipeline.Canary{Traffic: traffic,
		Steps: []pipeline.CanaryStep{{Weight: &fifty}, {Pause: &pipeline.Pause{}}}}}
}

// pausedAtWeight is when a canary holds at its pause, weight 50 applied.
func pausedAtWeight(st *release.State) bool {
	return st.Paused && st.Weights[rollout.TrackCanary] == 50
}

var scenarios = map[string]scenario{
	"ratio": {
		strategy: canary(nil), resource: deploymentsGVR, object: "web-canary", what: "canary Deployment at 0 replicas",
		back: func(u *unstructured.Unstructured) bool {
			n, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
			return u == nil || n == 0
		},
		carrying: pausedAtWeight, newPods: rollout.LabelTrack + "=" + rollout.TrackCanary,
	},
	"nginx": {
		strategy: canary(&pipeline.Traffic{Nginx: &pipeline.NginxTraffic{Ingress: "shop"}}),
		resource: ingressesGVR, object: "shop-canary", what: "canary Ingress at weight 0",
		back: func(u *unstructured.Unstructured) bool {
			return u == nil || u.GetAnnotations()[rollout.AnnotationNginxCanaryWeight] == "0"
		},
		carrying: pausedAtWeight, newPods: rollout.LabelTrack + "=" + rollout.TrackCanary,
	},
	"gateway": {
		strategy: canary(&pipeline.Traffic{GatewayAPI: &pipeline.GatewayAPITraffic{HTTPRoute: "shop"}}), route: true,
		resource: httpRoutesGVR, object: "shop", what: "HTTPRoute without weight on web-canary",
		back:     func(u *unstructured.Unstructured) bool { return u == nil || canaryWeight(u) <= 0 },
		carrying: pausedAtWeight, newPods: rollout.LabelTrack + "=" + rollout.TrackCanary,
	},
	"bluegreen": {
		strategy: pipeline.Strategy{BlueGreen: &pipeline.BlueGreen{ActiveService: "web", PreviewService: "web-preview",
			ScaleDownDelay: pipeline.Duration(10 * 60e9)}},
		preview: true, resource: servicesGVR, object: "web", what: "active Service back on blue",
		back: func(u *unstructured.Unstructured) bool {
			c, _, _ := unstructured.NestedString(u.Object, "spec", "selector", rollout.LabelColor)
			return c == rollout.ColorBlue
		},
		carrying: func(st *release.State) bool { return st.Phase == rollout.PhaseSwitched },
		newPods:  rollout.LabelColor + "=" + rollout.ColorGreen,
	},
}

// canaryWeight is the weight of the backendRef to web-canary (0 if none).
func canaryWeight(route *unstructured.Unstructured) int64 {
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	for _, r := range rules {
		refs, _, _ := unstructured.NestedSlice(r.(map[string]any), "backendRefs")
		for _, ref := range refs {
			if m := ref.(map[string]any); m["name"] == "web-canary" {
				w, _, _ := unstructured.NestedInt64(m, "weight")
				return w
			}
		}
	}
	return 0
}

// app returns the application's objects at tag in ns.
func app(sc scenario, ns, tag string, replicas int) ([]*unstructured.Unstructured, error) {
	docs := []string{fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %s}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "registry.example.com/shop/web:%s", ports: [{name: http, containerPort: 8080}]}]
`, ns, replicas, tag),
		service(ns, "web"),
		fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: %s}
spec:
  ingressClassName: nginx
  rules: [{host: shop.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]}}]
`, ns)}
	if sc.route {
		docs = append(docs, fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: %s}
spec:
  parentRefs: [{name: gateway}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
`, ns))
	}
	if sc.preview {
		docs = append(docs, service(ns, "web-preview"))
	}
	var out []*unstructured.Unstructured
	for _, d := range docs {
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			return nil, err
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out, nil
}

func service(ns, name string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: %s, namespace: %s}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`, name, ns)
}
