// Package gatewayapi finds the Gateway API CRD manifests that tests and
// benchmarks install on the local cluster. They ship in the
// sigs.k8s.io/gateway-api module this repository requires; nothing the
// plugin builds imports the module's config/ files, so the module may be
// absent from a fresh module cache: CRDDir downloads it first.
package gatewayapi

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
)

// Module is the module holding the CRD manifests, at the version go.mod requires.
const Module = "sigs.k8s.io/gateway-api"

// Standard channel CRD files used by the tests, relative to CRDDir.
const (
	GatewayClasses = "gateway.networking.k8s.io_gatewayclasses.yaml"
	Gateways       = "gateway.networking.k8s.io_gateways.yaml"
	HTTPRoutes     = "gateway.networking.k8s.io_httproutes.yaml"
)

// CRDDir returns the standard-channel CRD directory of the required
// gateway-api module, downloading the module when the module cache lacks
// it (`go list -m` alone reports no directory then).
func CRDDir(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", Module)
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", Module, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", Module, err)
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no directory reported", Module)
	}
	return filepath.Join(info.Dir, "config", "crd", "standard"), nil
}
