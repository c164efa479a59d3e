package release

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"secret", SecretName("shop", "prod", 12), "promote.v1.shop.prod.v12"},
		{"lease", LeaseName("shop", "prod"), "promote-shop-prod"},
		{"state", StateName("shop", "prod"), "promote-shop-prod-state"},
		{"ref", kube.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}.String(), "Deployment/shop/web"},
		{"cluster-scoped ref", kube.ObjectRef{Version: "v1", Kind: "Namespace", Name: "shop"}.String(), "Namespace/shop"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestCheckNames(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		name              string
		ns, pipeline, env string
		wantErr           string
	}{
		{"ok", "shop", "shop", "prod", ""},
		{"longest labels fit", "shop", long, long, ""},
		{"empty namespace", "", "shop", "prod", "namespace is empty"},
		{"empty pipeline", "shop", "", "prod", `pipeline name ""`},
		{"dot in environment", "shop", "shop", "pr.od", `environment name "pr.od"`},
		{"upper case", "shop", "Shop", "prod", `pipeline name "Shop"`},
		{"too long", "shop", long + "a", "prod", "must be no more than 63"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkNames(tt.ns, tt.pipeline, tt.env)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkNames() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("checkNames() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSelector(t *testing.T) {
	tests := []struct {
		name     string
		statuses []Status
		want     string
	}{
		{"all", nil, "app.kubernetes.io/managed-by=kubectl-promote,promote.kubectl-plugin.dev/environment=prod,promote.kubectl-plugin.dev/pipeline=shop"},
		{"some", []Status{Succeeded, RolledBack}, "app.kubernetes.io/managed-by=kubectl-promote,promote.kubectl-plugin.dev/environment=prod,promote.kubectl-plugin.dev/pipeline=shop,promote.kubectl-plugin.dev/status in (rolled-back,succeeded)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selector("shop", "prod", tt.statuses...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("selector() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordLabels(t *testing.T) {
	want := map[string]string{
		"app.kubernetes.io/managed-by":           "kubectl-promote",
		"promote.kubectl-plugin.dev/pipeline":    "shop",
		"promote.kubectl-plugin.dev/environment": "prod",
		"promote.kubectl-plugin.dev/revision":    "7",
		"promote.kubectl-plugin.dev/status":      "undo-failed",
	}
	if diff := cmp.Diff(want, recordLabels(testRecord(t, 7, UndoFailed))); diff != "" {
		t.Errorf("recordLabels() (-want +got):\n%s", diff)
	}
}

func TestStatusValid(t *testing.T) {
	for _, s := range Statuses {
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	for _, s := range []Status{"", "Succeeded", "rolledback"} {
		if s.Valid() {
			t.Errorf("%q.Valid() = true", s)
		}
	}
}
