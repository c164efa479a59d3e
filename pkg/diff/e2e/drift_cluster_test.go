package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
)

// Given staging applied, when someone runs `kubectl set image` on its
// Deployment by hand (field manager "kubectl-set"), then `diff staging`
// shows the image going back, names kubectl-set and the field, and exits
// 1, in text and JSON; `apply staging` still refuses with exit 3, and
// nothing changes.
func TestClusterCLIDiffDrift(t *testing.T) {
	p := newProject(t)
	p.applyEnv("staging")
	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"registry.test/shop/web:hand"}]}}}}`
	if _, err := p.clients.Typed.AppsV1().Deployments(p.stage).Patch(t.Context(), "web", types.StrategicMergePatchType,
		[]byte(patch), metav1.PatchOptions{FieldManager: "kubectl-set"}); err != nil {
		t.Fatal(err)
	}
	image := `.spec.template.spec.containers[name="web"].image`

	res := p.run(p.cluster.Kubeconfig, "diff", "staging", "-U", "0")

	if res.code != exitcode.Differences {
		t.Errorf("diff: exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		"-      - image: registry.test/shop/web:hand\n+      - image: registry.test/shop/web:1.0\n",
		"Deployment/" + p.stage + "/web: drift: " + image + ` owned by field manager "kubectl-set": apply needs --force-conflicts to take it over` + "\n",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("diff output lacks %q:\n%s", want, res.stdout)
		}
	}

	res = p.run(p.cluster.Kubeconfig, "diff", "staging", "-o", "json")

	var report struct {
		Changes []struct {
			Object    string          `json:"object"`
			Conflicts []diff.Conflict `json:"conflicts"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &report); err != nil {
		t.Fatalf("-o json: %v\n%s", err, res.stdout)
	}
	got := map[string][]diff.Conflict{}
	for _, c := range report.Changes {
		if c.Conflicts != nil {
			got[c.Object] = c.Conflicts
		}
	}
	want := map[string][]diff.Conflict{"Deployment/" + p.stage + "/web": {{Manager: "kubectl-set", Fields: []string{image}}}}
	if d := cmp.Diff(want, got); d != "" || res.code != exitcode.Differences {
		t.Errorf("-o json: exit %d, conflicts (-want +got):\n%s", res.code, d)
	}

	if res = p.run(p.cluster.Kubeconfig, "apply", "staging"); res.code != exitcode.Cluster || !strings.Contains(res.stderr, "kubectl-set") {
		t.Errorf("apply without --force-conflicts: exit %d, want 3 naming kubectl-set\n%s", res.code, res.stderr)
	}
	d, err := p.clients.Typed.AppsV1().Deployments(p.stage).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Spec.Template.Spec.Containers[0].Image; got != "registry.test/shop/web:hand" {
		t.Errorf("image after diff and the refused apply = %q, want the hand-set one", got)
	}
}
