package rollout

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// asYAML renders an object's Object map for golden-like comparisons.
func asYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNginxCanaryIngress(t *testing.T) {
	ing := find(objs(t, shop("2.0", 4, "x")), gkIngress, "shop")
	r := nginxRouter{ingress: ing}
	if diff := cmp.Diff([]string{"web", "cart", "cart"}, r.backends()); diff != "" {
		t.Errorf("backends (-want +got):\n%s", diff)
	}
	got := r.objects(20, map[string]bool{"web": true})
	want := `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  annotations:
    kubernetes.io/ingress.class: nginx
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "20"
  labels:
    promote.kubectl-plugin.dev/track: canary
  name: shop-canary
  namespace: ns
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - backend:
          service:
            name: web-canary
            port:
              name: http
        path: /
        pathType: Prefix
  tls:
  - hosts:
    - shop.example.com
    secretName: shop-tls
`
	if diff := cmp.Diff(want, asYAML(t, got[0].Object)); diff != "" {
		t.Errorf("canary Ingress (-want +got):\n%s", diff)
	}
	if find(objs(t, shop("2.0", 4, "x")), gkIngress, "shop").GetAnnotations()[AnnotationNginxCanary] != "" {
		t.Error("the release's Ingress was changed")
	}
	if w := r.objects(0, map[string]bool{"web": true})[0].GetAnnotations()[AnnotationNginxCanaryWeight]; w != "0" {
		t.Errorf("weight 0 written as %q", w)
	}
}

func TestGatewayWeights(t *testing.T) {
	route := find(objs(t, shop("2.0", 4, "x")), gkHTTPRoute, "shop")
	r := gatewayRouter{route: route}
	if diff := cmp.Diff([]string{"web", "cart"}, r.backends()); diff != "" {
		t.Errorf("backends (-want +got):\n%s", diff)
	}
	tests := []struct {
		weight int
		want   string
	}{
		{0, `- backendRefs:
  - name: web
    port: 80
    weight: 100
  - name: web-canary
    port: 80
    weight: 0
- backendRefs:
  - name: cart
    port: 80
  matches:
  - path:
      type: PathPrefix
      value: /cart
`},
		{30, `- backendRefs:
  - name: web
    port: 80
    weight: 70
  - name: web-canary
    port: 80
    weight: 30
- backendRefs:
  - name: cart
    port: 80
  matches:
  - path:
      type: PathPrefix
      value: /cart
`},
	}
	for _, tc := range tests {
		got := r.objects(tc.weight, map[string]bool{"web": true})[0]
		rules, _, _ := unstructured.NestedSlice(got.Object, "spec", "rules")
		if diff := cmp.Diff(tc.want, asYAML(t, rules)); diff != "" {
			t.Errorf("weight %d: rules (-want +got):\n%s", tc.weight, diff)
		}
		if w := canaryWeight(got, "web"); w != int64(tc.weight) {
			t.Errorf("canaryWeight = %d, want %d", w, tc.weight)
		}
	}
	if canaryWeight(route, "web") != -1 {
		t.Error("the release's HTTPRoute was changed")
	}
}
