package rollout

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// obj decodes one YAML object.
func obj(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	return &unstructured.Unstructured{Object: m}
}

// objs decodes a multi-document manifest.
func objs(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	out, err := DecodeManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// shop writes a small release: Deployment web (image tag, replicas),
// Service web, Ingress shop → web, HTTPRoute shop → web, ConfigMap
// web-config read by name, and Deployment cart with its Service.
func shop(tag string, replicas int, greeting string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec:
  replicas: ` + itoa(replicas) + `
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web:` + tag + `
        envFrom: [{configMapRef: {name: web-config}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ns}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: ns
  annotations: {kubernetes.io/ingress.class: nginx, nginx.ingress.kubernetes.io/proxy-body-size: 8m}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /cart, pathType: Prefix, backend: {service: {name: cart, port: {number: 80}}}}
  - host: cart.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: cart, port: {number: 80}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: web, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /cart}}]
    backendRefs: [{name: cart, port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: ns}
data: {greeting: ` + greeting + `}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: ns}
spec:
  replicas: 2
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers: [{name: cart, image: "cart:1"}]
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: ns}
spec:
  selector: {app: cart}
  ports: [{port: 80}]
`
}

func itoa(n int) string {
	b, _ := yaml.Marshal(n)
	return string(b[:len(b)-1])
}
