package guard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

func TestSucceededRecords(t *testing.T) {
	recs := []*release.Record{ // newest first
		{Revision: 5, Status: release.Progressing},
		{Revision: 4, Status: release.Succeeded},
		{Revision: 3, Status: release.RolledBack},
		{Revision: 2, Status: release.Succeeded},
		{Revision: 1, Status: release.Succeeded},
	}
	rev := func(r *release.Record) int {
		if r == nil {
			return 0
		}
		return r.Revision
	}
	tests := []struct {
		name     string
		recs     []*release.Record
		failed   int
		newest   int
		previous int
	}{
		{name: "the newest succeeded and the one before it", recs: recs, failed: 4, newest: 4, previous: 2},
		{name: "an older failed release goes back further", recs: recs, failed: 2, newest: 4, previous: 1},
		{name: "the first release has nothing to go back to", recs: recs[4:], failed: 1, newest: 1, previous: 0},
		{name: "no records", failed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rev(newestSucceeded(tt.recs)); got != tt.newest {
				t.Errorf("newestSucceeded = %d, want %d", got, tt.newest)
			}
			if got := rev(previousSucceeded(tt.recs, tt.failed)); got != tt.previous {
				t.Errorf("previousSucceeded(%d) = %d, want %d", tt.failed, got, tt.previous)
			}
		})
	}
}

func TestSummaryExitCode(t *testing.T) {
	tests := []struct {
		s    Summary
		want int
	}{
		{Summary{}, exitcode.OK},
		{Summary{RolledBack: 2}, exitcode.RolledBack},
		{Summary{RolledBack: 1, UndoFailed: 1}, exitcode.UndoFailed},
		{Summary{NoUndo: 1}, exitcode.UndoFailed},
	}
	for _, tt := range tests {
		if got := exitcode.Code(tt.s.Err()); got != tt.want {
			t.Errorf("%+v: exit code %d, want %d", tt.s, got, tt.want)
		}
	}
}

func manifestOptions() ManifestOptions {
	return ManifestOptions{
		Image: "registry.example.com/kubectl-promote:1.0.0", Pipeline: "shop",
		PipelineFile: []byte("apiVersion: promote.kubectl-plugin.dev/v1alpha1\nkind: Pipeline\n"),
		Namespace:    "shop-ops", EnvNamespaces: []string{"shop-staging", "shop"}, Args: []string{"staging", "prod", "--in-cluster"},
	}
}

func TestManifestsGolden(t *testing.T) {
	out, err := Manifests(manifestOptions())
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/manifests.yaml", string(out))
}

// The guard's Role in an environment's namespace grants what a deploy's
// Role (docs/rbac-role.yaml) does, since its undo is a deploy, and nothing
// cluster-wide is printed.
func TestManifestsRolesCoverTheDeployRole(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "rbac-role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var deployRole rbacv1.Role
	if err := yaml.Unmarshal(b, &deployRole); err != nil {
		t.Fatal(err)
	}
	out, err := Manifests(manifestOptions())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var envRoles []rbacv1.Role
	for _, doc := range strings.Split(string(out), "---\n")[1:] {
		var obj struct {
			Kind     string                     `json:"kind"`
			Metadata struct{ Namespace string } `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		kinds[obj.Kind]++
		if obj.Kind == "Role" && obj.Metadata.Namespace != "shop-ops" {
			var r rbacv1.Role
			if err := yaml.Unmarshal([]byte(doc), &r); err != nil {
				t.Fatal(err)
			}
			envRoles = append(envRoles, r)
		}
	}
	want := map[string]int{"ConfigMap": 1, "ServiceAccount": 1, "Deployment": 1, "Role": 3, "RoleBinding": 3}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("kinds printed (-want +got):\n%s", diff)
	}
	for _, r := range envRoles {
		for _, need := range deployRole.Rules {
			if !covered(need, r.Rules) {
				t.Errorf("Role/%s/%s lacks %v of docs/rbac-role.yaml", r.Namespace, r.Name, need)
			}
		}
	}
}

// covered tells whether rules grant every verb of need on every resource.
func covered(need rbacv1.PolicyRule, rules []rbacv1.PolicyRule) bool {
	for _, g := range need.APIGroups {
		for _, res := range need.Resources {
			for _, v := range need.Verbs {
				if !grants(rules, g, res, v) {
					return false
				}
			}
		}
	}
	return true
}

func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if contains(r.APIGroups, group) && contains(r.Resources, resource) && contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
