package diff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

const (
	cmSame    = `{apiVersion: v1, kind: ConfigMap, metadata: {name: same, namespace: NS}, data: {k: v}}`
	cmChanged = `{apiVersion: v1, kind: ConfigMap, metadata: {name: changed, namespace: NS}, data: {k: %s}}`
	cmGone    = `{apiVersion: v1, kind: ConfigMap, metadata: {name: gone, namespace: NS}, data: {k: v}}`
	cmNew     = `{apiVersion: v1, kind: ConfigMap, metadata: {name: new, namespace: NS}, data: {k: v}}`
	svc       = `{apiVersion: v1, kind: Service, metadata: {name: web, namespace: NS}, spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}}`
)

func deployment(image string, replicas int) string {
	return strings.NewReplacer("IMAGE", image, "REPLICAS", string(rune('0'+replicas))).Replace(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NS}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: IMAGE, ports: [{containerPort: 8080}]}`)
}

func changed(v string) string { return strings.Replace(cmChanged, "%s", v, 1) }

// Given objects the tool applied earlier, when the render changes one,
// adds one and drops one, then each action shows, in text and in JSON.
func TestClusterDiffActions(t *testing.T) {
	e := newClusterEnv(t)
	e.apply(t, kube.FieldManager, e.objs(t, cmSame, changed("old"), cmGone, svc, deployment("web:1.0", 2))...)
	e.waitForRevision(t, "web") // so the golden text's line numbers do not depend on the controller

	cs := e.diff(t, e.objs(t, cmSame, changed("new"), cmNew, svc, deployment("web:1.1", 2)), e.options())

	want := map[string]Action{
		"ConfigMap/NS/same": Unchanged, "ConfigMap/NS/changed": Configured, "ConfigMap/NS/new": Created,
		"ConfigMap/NS/gone": Deleted, "Service/NS/web": Unchanged, "Deployment/NS/web": Configured,
	}
	if d := cmp.Diff(want, e.actions(cs)); d != "" {
		t.Errorf("actions (-want +got):\n%s", d)
	}
	var text bytes.Buffer
	if err := WriteText(&text, cs, TextOptions{Context: 2}); err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, "testdata/golden/cluster-actions.txt", strings.ReplaceAll(text.String(), e.ns, "NS"))

	var js bytes.Buffer
	if err := WriteJSON(&js, cs); err != nil {
		t.Fatal(err)
	}
	var report struct {
		Counts  Counts
		Changes []struct {
			Object string
			Action Action
			Fields []FieldChange
		}
	}
	if err := json.Unmarshal(js.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Counts{Created: 1, Configured: 2, Deleted: 1, Unchanged: 2}, report.Counts); d != "" {
		t.Errorf("JSON counts (-want +got):\n%s", d)
	}
	fields := map[string][]FieldChange{}
	for _, c := range report.Changes {
		fields[strings.ReplaceAll(c.Object, e.ns, "NS")] = c.Fields
	}
	wantFields := map[string][]FieldChange{
		"ConfigMap/NS/changed": {{Path: ".data.k", Old: "old", New: "new"}},
		"Deployment/NS/web":    {{Path: ".spec.template.spec.containers[name=web].image", Old: "web:1.0", New: "web:1.1"}},
	}
	for obj, want := range wantFields {
		if d := cmp.Diff(want, fields[obj]); d != "" {
			t.Errorf("JSON fields of %s (-want +got):\n%s", obj, d)
		}
	}
}

// Given the render applied as it is, the diff is empty: server defaults,
// allocated cluster IPs and controller annotations are not differences,
// whether the server dry-runs every object or managed fields prove them
// unchanged.
func TestClusterDiffNoNoiseAfterApply(t *testing.T) {
	for _, always := range []bool{true, false} {
		t.Run(fmt.Sprintf("AlwaysDryRun=%v", always), func(t *testing.T) {
			e := newClusterEnv(t)
			objs := e.objs(t, cmSame, svc, deployment("web:1.0", 2),
				`{apiVersion: v1, kind: Secret, metadata: {name: s, namespace: NS}, stringData: {pw: hunter22}}`)
			e.apply(t, kube.FieldManager, objs...)
			opts := e.options()
			opts.AlwaysDryRun = always

			cs := e.diff(t, objs, opts)

			if cs.HasDifferences() {
				var text bytes.Buffer
				_ = WriteText(&text, cs, TextOptions{Context: 3})
				t.Errorf("diff after apply shows differences:\n%s", text.String())
			}
			if got, want := cs.Summary(), "0 to create, 0 to change, 0 to delete, 4 unchanged"; got != want {
				t.Errorf("Summary() = %q, want %q", got, want)
			}
		})
	}
}

// A field the tool applied and someone changed since (kubectl edit) is
// not proven unchanged: the server is asked, and says who owns it now.
func TestClusterDiffSeesDriftByAnotherManager(t *testing.T) {
	e := newClusterEnv(t)
	e.apply(t, kube.FieldManager, e.objs(t, changed("ours"))...)
	cm, err := e.clients.Typed.CoreV1().ConfigMaps(e.ns).Get(t.Context(), "changed", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["k"] = "edited"
	if _, err := e.clients.Typed.CoreV1().ConfigMaps(e.ns).Update(t.Context(), cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}

	_, err = Diff(t.Context(), e.clients, e.objs(t, changed("ours")), e.options())

	var conflict *ConflictError
	if !errors.As(err, &conflict) || conflict.Conflicts[0].Manager != "kubectl-edit" {
		t.Errorf("Diff() error = %v, want a conflict with kubectl-edit", err)
	}
}

// Each object costs at most two requests, a GET and a dry-run PATCH;
// with an owner, objects the tool applied before come from one
// label-selected list per kind and namespace and cost only the PATCH.
func TestClusterDiffRequestsPerObject(t *testing.T) {
	for _, owned := range []bool{false, true} {
		t.Run(fmt.Sprintf("owned=%v", owned), func(t *testing.T) {
			e := newClusterEnv(t)
			applied, rendered := requestsWorkload()
			opts := e.options()
			if owned {
				e.apply(t, kube.FieldManager, e.objs(t, applied...)...)
			} else {
				for _, u := range e.objs(t, applied...) {
					e.applyRaw(t, kube.FieldManager, u)
				}
				opts.Owner = Owner{} // no owner labels, no lists
			}
			e.requests.Store(0)
			e.lists.Store(0)

			cs := e.diff(t, e.objs(t, rendered...), opts)

			if got, want := cs.Summary(), "5 to create, 5 to change, 0 to delete, 5 unchanged"; got != want {
				t.Errorf("Summary() = %q, want %q", got, want)
			}
			perObject := e.requests.Load() - e.lists.Load()
			want := int64(2 * len(rendered))
			if owned {
				want = int64(len(applied) + 2*(len(rendered)-len(applied)))
			}
			if perObject > want {
				t.Errorf("%d requests besides %d lists for %d objects (%d existing), want at most %d",
					perObject, e.lists.Load(), len(rendered), len(applied), want)
			}
		})
	}
}

// requestsWorkload is 10 ConfigMaps applied and 15 rendered: 5 unchanged,
// 5 changed, 5 new.
func requestsWorkload() (applied, rendered []string) {
	for i := range 15 {
		cm := fmt.Sprintf(`{apiVersion: v1, kind: ConfigMap, metadata: {name: cm-%d, namespace: NS}, data: {k: v%d}}`, i, i)
		switch {
		case i < 5:
			applied, rendered = append(applied, cm), append(rendered, cm)
		case i < 10:
			applied, rendered = append(applied, cm), append(rendered, strings.Replace(cm, "data: {k:", "data: {k: x", 1))
		default:
			rendered = append(rendered, cm)
		}
	}
	return applied, rendered
}

// Given deleted = previous inventory − render, an object of the previous
// release that the render lacks shows as deleted; one already gone does not.
func TestClusterDiffDeletedFromPreviousInventory(t *testing.T) {
	e := newClusterEnv(t)
	e.apply(t, kube.FieldManager, e.objs(t, cmSame, cmGone)...)
	opts := e.options()
	opts.Previous = []kube.ObjectRef{
		{Version: "v1", Kind: "ConfigMap", Namespace: e.ns, Name: "same"},
		{Version: "v1", Kind: "ConfigMap", Namespace: e.ns, Name: "gone"},
		{Version: "v1", Kind: "ConfigMap", Namespace: e.ns, Name: "never-existed"},
	}

	cs := e.diff(t, e.objs(t, cmSame), opts)

	want := map[string]Action{"ConfigMap/NS/same": Unchanged, "ConfigMap/NS/gone": Deleted}
	if d := cmp.Diff(want, e.actions(cs)); d != "" {
		t.Errorf("actions (-want +got):\n%s", d)
	}
}

// A field another manager owns with another value is a conflict naming
// that manager; --force-conflicts turns it into a change.
func TestClusterDiffConflictNamesManager(t *testing.T) {
	e := newClusterEnv(t)
	e.apply(t, kube.FieldManager, e.objs(t, changed("ours"))...)
	e.applyRaw(t, "other-tool", e.objs(t, changed("theirs"))[0])

	_, err := Diff(t.Context(), e.clients, e.objs(t, changed("ours-again")), e.options())

	var conflict *ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("Diff() error = %v, want a *ConflictError", err)
	}
	want := "ConfigMap/" + e.ns + `/changed: conflict: .data.k owned by field manager "other-tool": ` +
		"make the render agree with their values, remove the fields from the render, or take them over with --force-conflicts"
	if err.Error() != want {
		t.Errorf("Diff() error =\n%s\nwant\n%s", err, want)
	}
	if got := exitcode.Code(err); got != exitcode.Cluster {
		t.Errorf("exit code = %d, want %d", got, exitcode.Cluster)
	}

	opts := e.options()
	opts.Force = true
	cs := e.diff(t, e.objs(t, changed("ours-again")), opts)
	if got := e.actions(cs)["ConfigMap/NS/changed"]; got != Configured {
		t.Errorf("with Force: action = %s, want configured", got)
	}
}

// A user who may only get and list gets exit 3 and the permission the
// dry-run needs.
func TestClusterDiffForbiddenNamesPermission(t *testing.T) {
	e := newClusterEnv(t)
	ctx := t.Context()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: e.ns},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := e.clients.Typed.RbacV1().Roles(e.ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: e.ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "reader"},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: "reader"}},
	}
	if _, err := e.clients.Typed.RbacV1().RoleBindings(e.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.apply(t, kube.FieldManager, e.objs(t, cmSame)...)

	_, err := Diff(ctx, e.userClients(t, "reader"), e.objs(t, changed("x"), cmSame), e.options())

	if got := exitcode.Code(err); got != exitcode.Cluster {
		t.Errorf("exit code = %d, want %d (error %v)", got, exitcode.Cluster, err)
	}
	// ConfigMap "same" needs no dry-run: its managed fields prove it
	// unchanged, and an apply has nothing to write there.
	want := `ConfigMap/` + e.ns + `/changed: forbidden: dry-run needs "patch" on "configmaps" in namespace "` +
		e.ns + `" (user "reader"): grant it with a Role bound to the user`
	if err == nil || err.Error() != want {
		t.Errorf("Diff() error =\n%v\nwant\n%s", err, want)
	}
}
