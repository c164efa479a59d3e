package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
	"github.com/kubectl-promote/kubectl-promote/test/gatewayapi"
)

var crdsGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installGatewayAPI installs the HTTPRoute CRD of the sigs.k8s.io/gateway-api
// module this repository requires (no Gateway controller is needed: the
// bench watches the HTTPRoute itself).
func installGatewayAPI(ctx context.Context, clients *kube.Clients) error {
	dir, err := gatewayapi.CRDDir(ctx)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, gatewayapi.HTTPRoutes)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	force := true
	crds := clients.Dynamic.Resource(crdsGVR)
	if _, err := crds.Patch(ctx, "httproutes.gateway.networking.k8s.io", types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: "bench-switch", Force: &force}); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		clients.Discovery.Invalidate()
		if _, err := clients.Discovery.ServerResourcesForGroupVersion("gateway.networking.k8s.io/v1"); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the HTTPRoute CRD is not served after a minute")
}
