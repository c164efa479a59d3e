package rollout

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigRefs(t *testing.T) {
	d := obj(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec:
  template:
    spec:
      volumes:
      - {name: a, configMap: {name: files}}
      - {name: b, secret: {secretName: tls}}
      - {name: c, projected: {sources: [{configMap: {name: more}}, {secret: {name: keys}}]}}
      - {name: d, emptyDir: {}}
      initContainers:
      - {name: migrate, envFrom: [{secretRef: {name: db}}]}
      containers:
      - name: web
        envFrom: [{configMapRef: {name: env}}, {secretRef: {name: db}}]
        env:
        - {name: A, valueFrom: {configMapKeyRef: {name: env, key: a}}}
        - {name: B, valueFrom: {secretKeyRef: {name: token, key: b}}}
        - {name: C, value: plain}
`)
	var got []string
	for _, r := range configRefs(d) {
		got = append(got, r.gk.Kind+"/"+r.name)
	}
	want := []string{"ConfigMap/files", "Secret/tls", "ConfigMap/more", "Secret/keys", "Secret/db", "ConfigMap/env", "Secret/token"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
}

func TestConfigWarnings(t *testing.T) {
	tests := []struct {
		name      string
		next      string
		wantCount int
	}{
		{"same content", shop("2.0", 2, "hello"), 0},
		{"changed content under the same name", shop("2.0", 2, "bonjour"), 1},
		{"renamed (content-hashed) ConfigMap", strings.ReplaceAll(shop("2.0", 2, "bonjour"), "web-config", "web-config-5f8b"), 0},
	}
	prev := objs(t, shop("1.0", 2, "hello"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := objs(t, tc.next)
			got := configWarnings(ofKind(next, gkDeployment), next, prev)
			if len(got) != tc.wantCount {
				t.Fatalf("warnings %q, want %d", got, tc.wantCount)
			}
			if tc.wantCount > 0 && !strings.Contains(got[0], "content-hashed name") {
				t.Errorf("the warning does not say how to fix it: %s", got[0])
			}
		})
	}
}
