package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// helmOwnedEnv is a one-environment Helm pipeline (dev, release shop of the
// example chart) whose namespace the reference helm CLI installed first.
type helmOwnedEnv struct {
	*appEnv
	dyn  dynamic.Interface
	home string // HELM_*_HOME of this test
}

// The example chart's objects, as helm installs them.
var helmObjects = []struct {
	gvr  schema.GroupVersionResource
	name string
}{
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "shop"},
	{schema.GroupVersionResource{Version: "v1", Resource: "services"}, "shop"},
	{schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "shop-config"},
	{schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, "shop-secrets"},
	{schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}, "shop"},
}

func newHelmOwnedEnv(t *testing.T) *helmOwnedEnv {
	t.Helper()
	c := localcluster.Shared(t)
	e := &helmOwnedEnv{appEnv: envIn(t, c, c.Namespace(t, "helmimport")), home: t.TempDir()}
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	e.dyn = dyn
	if err := os.CopyFS(filepath.Join(e.dir, "chart"), os.DirFS("../../examples/helm-shop/charts/shop")); err != nil {
		t.Fatal(err)
	}
	testutil.WriteFiles(t, e.dir, map[string]string{"promote.yaml": fmt.Sprintf(`apiVersion: promote.kubectl-plugin.dev/v1alpha1
kind: Pipeline
metadata: {name: e2e}
spec:
  environments:
  - name: dev
    namespace: %s
    source: {helm: {chart: chart, releaseName: shop, values: [chart/values-dev.yaml]}}
    health: {timeout: 60s, undoTimeout: 60s, verify: 1s}
`, e.ns)})
	return e
}

// helm runs the reference helm CLI against the test's namespace.
func (e *helmOwnedEnv) helm(args ...string) string {
	e.t.Helper()
	bin, err := filepath.Abs("../../.cache/tools/bin/helm")
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.CommandContext(e.t.Context(), bin, append(args, "--namespace", e.ns, "--kubeconfig", e.kubeconfig)...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(e.home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(e.home, "config"), "HELM_DATA_HOME="+filepath.Join(e.home, "data"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("helm %v: %v\n%s%s", args, err, out.String(), errOut.String())
	}
	return out.String()
}

// live reads the chart's objects.
func (e *helmOwnedEnv) live() map[string]*unstructured.Unstructured {
	e.t.Helper()
	out := map[string]*unstructured.Unstructured{}
	for _, o := range helmObjects {
		u, err := e.dyn.Resource(o.gvr).Namespace(e.ns).Get(e.t.Context(), o.name, metav1.GetOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		out[o.gvr.Resource+"/"+o.name] = u
	}
	return out
}

// uids are the uids of the chart's objects, of the Deployment's
// ReplicaSets and of their pods: a recreated object or a rollout changes
// them. (The Deployment's generation is no measure: the apiserver raises it
// when the Deployment's annotations change, Helm's among them.)
func (e *helmOwnedEnv) uids() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for k, u := range e.live() {
		out[k] = string(u.GetUID())
	}
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=shop"}
	rss, err := e.client.AppsV1().ReplicaSets(e.ns).List(e.t.Context(), sel)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, rs := range rss.Items {
		out["replicasets/"+rs.Name] = string(rs.UID)
	}
	pods, err := e.client.CoreV1().Pods(e.ns).List(e.t.Context(), sel)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range pods.Items {
		out["pods/"+p.Name] = string(p.UID)
	}
	return out
}

// checkHelmGone: Helm's field manager owns nothing of the objects any
// more, and Helm's release annotations are gone.
func (e *helmOwnedEnv) checkHelmGone() {
	e.t.Helper()
	for k, u := range e.live() {
		for _, m := range u.GetManagedFields() {
			if m.Manager == "helm" && m.Subresource == "" {
				e.t.Errorf("%s: still managed by helm (%s)", k, m.Operation)
			}
		}
		if _, ok := u.GetAnnotations()["meta.helm.sh/release-name"]; ok {
			e.t.Errorf("%s: still carries meta.helm.sh/release-name", k)
		}
	}
}

// checkHistory: helm still reads the release's history, its last revision
// (rev) deployed.
func (e *helmOwnedEnv) checkHistory(rev int) {
	e.t.Helper()
	var hist []struct {
		Revision int    `json:"revision"`
		Status   string `json:"status"`
		Chart    string `json:"chart"`
	}
	if err := json.Unmarshal([]byte(e.helm("history", "shop", "-o", "json")), &hist); err != nil {
		e.t.Fatal(err)
	}
	if len(hist) != rev || hist[rev-1].Revision != rev || hist[rev-1].Status != "deployed" || hist[rev-1].Chart != "shop-0.3.0" {
		e.t.Errorf("helm history = %+v, want revision %d deployed of shop-0.3.0", hist, rev)
	}
}

// waitForPods waits until the release's pod runs and returns uids.
func (e *helmOwnedEnv) waitForPods() map[string]string {
	e.t.Helper()
	var uids map[string]string
	e.eventually("the release's pod", func(context.Context) bool {
		uids = e.uids()
		for k := range uids {
			if strings.HasPrefix(k, "pods/") {
				return true
			}
		}
		return false
	})
	return uids
}

func mustEqualMaps(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s %s = %q, want %q (recreated or rolled)", what, k, got[k], v)
		}
	}
}

// Given a release installed by helm, When helm-import takes it over, Then
// no object is recreated or rolled, Helm's history stays readable, the
// first record names the Helm release, diff is clean, and a changed value
// applies without conflicts.
func TestHelmImport(t *testing.T) {
	t.Parallel()
	e := newHelmOwnedEnv(t)
	e.helm("upgrade", "--install", "shop", "chart", "-f", "chart/values-dev.yaml")
	before := e.waitForPods()

	mustExit(t, e.promote("helm-import", "dev", "--dry-run"), 0)
	if e.live()["deployments/shop"].GetLabels()["promote.kubectl-plugin.dev/pipeline"] != "" {
		t.Fatal("helm-import --dry-run changed the Deployment")
	}
	res := e.promote("helm-import", "dev", "--lock-lease", "3s")
	mustExit(t, res, 0)
	t.Logf("helm-import:\n%s", res.stderr)
	if after := e.uids(); len(after) != len(before) {
		t.Errorf("after helm-import: %v, before: %v", after, before)
	}
	mustEqualMaps(t, "after helm-import:", e.uids(), before)
	e.checkHelmGone()
	e.checkHistory(1)
	rec := e.record(1)
	if h := rec.Origin; h == nil || h.Helm == nil || h.Helm.Release != "shop" || h.Helm.Revision != 1 || h.Helm.Chart != "shop-0.3.0" || !strings.Contains(string(h.Helm.Values), "shop.dev.example.com") {
		t.Fatalf("record 1 origin = %+v, want Helm release shop revision 1 of shop-0.3.0 with its values", rec.Origin)
	}
	hist := e.promote("history", "dev")
	if !strings.Contains(hist.stdout, "helm:shop#1") || !strings.Contains(hist.stdout, "shop@0.3.0") || !strings.Contains(hist.stdout, "taken over from Helm release") || strings.Contains(hist.stdout, "change-me") {
		t.Errorf("history does not show the Helm origin, or shows a value:\n%s", hist.stdout)
	}

	mustExit(t, e.promote("diff", "dev"), 0)
	for _, args := range [][]string{{"helm-import", "dev"}, {"helm-import", "dev", "--release", "nope"}} {
		res := e.promote(args...)
		mustExit(t, res, 2)
		if !strings.Contains(res.stderr, "already runs revision 1") && !strings.Contains(res.stderr, `no deployed Helm release "nope"`) {
			t.Errorf("%v: stderr does not say why:\n%s", args, res.stderr)
		}
	}

	testutil.WriteFiles(t, e.dir, map[string]string{"chart/values-dev.yaml": "image: {tag: 1.5.0-rc.1}\ningress: {host: shop.dev.example.com}\nconfig: {LOG_LEVEL: warn}\n"})
	res = e.promote("apply", "dev")
	mustExit(t, res, 0)
	if strings.Contains(res.stderr, "conflict") {
		t.Errorf("apply after the takeover reports a conflict:\n%s", res.stderr)
	}
	after := e.live()
	if got, _, _ := unstructured.NestedString(after["configmaps/shop-config"].Object, "data", "LOG_LEVEL"); got != "warn" {
		t.Errorf("LOG_LEVEL = %q, want warn", got)
	}
	mustEqualMaps(t, "after the apply:", map[string]string{"deployments/shop": string(after["deployments/shop"].GetUID())}, map[string]string{"deployments/shop": before["deployments/shop"]})
	mustExit(t, e.promote("diff", "dev"), 0)
	e.checkHistory(1)
	st := e.promote("status", "dev")
	if !strings.Contains(st.stdout, "Taken over:") || !strings.Contains(st.stdout, "Helm release "+e.ns+"/shop revision 1 (chart shop-0.3.0)") {
		t.Errorf("status does not name the Helm release:\n%s", st.stdout)
	}

	// The way back out (docs/helm-migration.md): helm upgrade takes the
	// objects back in place.
	e.helm("upgrade", "--install", "shop", "chart", "-f", "chart/values-dev.yaml")
	e.checkHistory(2)
	back := e.live()
	for _, k := range []string{"deployments/shop", "configmaps/shop-config", "secrets/shop-secrets"} {
		if back[k].GetUID() != after[k].GetUID() || back[k].GetAnnotations()["meta.helm.sh/release-name"] != "shop" {
			t.Errorf("%s after helm upgrade: recreated, or not marked as Helm's again", k)
		}
	}
}

// Given a release installed by helm, When diff runs, Then it shows the real
// change and no conflict; When apply runs, Then it takes the objects over
// in place as revision 1 and applies the change as revision 2.
func TestHelmTakeOverOnFirstApply(t *testing.T) {
	t.Parallel()
	e := newHelmOwnedEnv(t)
	// An annotation the render no longer has: only a takeover of Helm's
	// fields lets the apply remove it (Helm would keep owning it).
	e.helm("upgrade", "--install", "shop", "chart", "-f", "chart/values-dev.yaml", "--set", "ingress.annotations.team=shop")
	before := e.uids()
	testutil.WriteFiles(t, e.dir, map[string]string{"chart/values-dev.yaml": "image: {tag: 1.5.0-rc.1}\ningress: {host: shop.dev.example.com}\nconfig: {LOG_LEVEL: warn}\n"})

	d := e.promote("diff", "dev")
	mustExit(t, d, 1)
	t.Logf("diff of the Helm release's objects:\n%s", d.stdout)
	if strings.Contains(d.stdout, "-    deployment.kubernetes.io/revision") || strings.Contains(d.stdout, "-          protocol: TCP") {
		t.Errorf("diff shows fields the apply keeps as removed (controller annotations, defaults)")
	}
	if !strings.Contains(d.stdout, "-    team: shop") {
		t.Errorf("diff does not show the annotation the apply removes")
	}
	if strings.Contains(d.stdout+d.stderr, "conflict") || !strings.Contains(d.stdout, "LOG_LEVEL") {
		t.Fatalf("diff does not show only the real change:\n%s\n%s", d.stdout, d.stderr)
	}

	mustExit(t, e.promote("apply", "dev"), 0)
	mustEqualMaps(t, "after the apply:", map[string]string{"deployments/shop": e.uids()["deployments/shop"]}, map[string]string{"deployments/shop": before["deployments/shop"]})
	e.checkHelmGone()
	e.checkHistory(1)
	if team, ok := e.live()["ingresses/shop"].GetAnnotations()["team"]; ok {
		t.Errorf("the Ingress keeps annotation team=%s that the render dropped", team)
	}
	if rec := e.record(1); rec.Origin == nil || rec.Origin.Helm == nil || rec.Origin.Helm.Release != "shop" {
		t.Errorf("record 1 origin = %+v, want Helm release shop", rec.Origin)
	}
	if rec := e.record(2); string(rec.Status) != "succeeded" {
		t.Errorf("record 2 is %s, want succeeded", rec.Status)
	}
	mustExit(t, e.promote("diff", "dev"), 0)
}
