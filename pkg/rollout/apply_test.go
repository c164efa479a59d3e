package rollout

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

func TestStages(t *testing.T) {
	in := objs(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: guard}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web, namespace: shop}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
`)
	var got [][]string
	for _, s := range stages(in) {
		var names []string
		for _, u := range s {
			names = append(names, kube.RefOf(u).String())
		}
		got = append(got, names)
	}
	want := [][]string{
		{"CustomResourceDefinition/widgets.example.com", "Namespace/shop"},
		{"ConfigMap/shop/web", "Service/shop/web"},
		{"Deployment/shop/web", "Widget/shop/w"},
		{"ValidatingWebhookConfiguration/guard"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
}

func TestMissing(t *testing.T) {
	hpa := func(version, name string) kube.ObjectRef {
		return kube.ObjectRef{Group: "autoscaling", Version: version, Kind: "HorizontalPodAutoscaler", Namespace: "shop", Name: name}
	}
	tests := []struct {
		name      string
		old, keep []kube.ObjectRef
		want      []kube.ObjectRef
	}{
		{"kept in another version", []kube.ObjectRef{hpa("v1", "web")}, []kube.ObjectRef{hpa("v2", "web")}, nil},
		{"gone", []kube.ObjectRef{hpa("v1", "web"), hpa("v1", "cart")}, []kube.ObjectRef{hpa("v2", "web")}, []kube.ObjectRef{hpa("v1", "cart")}},
		{"nothing kept", []kube.ObjectRef{hpa("v1", "web")}, nil, []kube.ObjectRef{hpa("v1", "web")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Missing(tt.old, tt.keep)); diff != "" {
				t.Errorf("Missing() (-want +got):\n%s", diff)
			}
		})
	}
}

// A set naming one object twice (a canary's plain and weighted route)
// sends the last version only: concurrently, the two would race.
func TestLastOfEach(t *testing.T) {
	in := objs(t, `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: ns, annotations: {v: plain}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ns}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: shop, namespace: ns, annotations: {v: weighted}}
`)
	var got []string
	for _, u := range lastOfEach(in) {
		got = append(got, kube.RefOf(u).String()+" "+u.GetAnnotations()["v"])
	}
	want := []string{"Service/ns/web ", "HTTPRoute/ns/shop weighted"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lastOfEach (-want +got):\n%s", diff)
	}
}
