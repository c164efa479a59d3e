package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
)

// podTemplate is an owned object of a kind neither in the render of the
// next release nor among the kinds diff lists by label: only the previous
// release's inventory shows that apply will prune it.
const podTemplate = `apiVersion: v1
kind: PodTemplate
metadata: {name: extra}
template:
  spec:
    containers: [{name: c, image: registry.example.com/shop/extra:1}]
`

// Given dev runs a release that includes a PodTemplate, When envs and
// status read it, Then both show revision 1 healthy from its record and
// the live objects, and -n moves the environment of status but not those
// of envs. When the next render drops the PodTemplate, Then diff reports
// it deleted (exit 1), as apply then prunes it.
func TestEnvsStatusDiffOnCluster(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write(good)
	testutil.WriteFiles(t, e.dir, map[string]string{"app/extra.yaml": podTemplate})
	appendResource(t, e.dir, "extra.yaml")
	mustExit(t, e.promote("apply", "dev"), 0)

	envs := e.promote("envs", "-o", "json")
	mustExit(t, envs, 0)
	var rows []struct{ Name, Namespace, Revision, Health string }
	if err := json.Unmarshal([]byte(envs.stdout), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("envs -o json: %v\n%s", err, envs.stdout)
	}
	if r := rows[0]; r.Revision != "1" || r.Health != "Healthy" || r.Namespace != e.ns {
		t.Errorf("envs row %+v, want revision 1 Healthy in %s\n%s", r, e.ns, envs.stderr)
	}
	moved := e.promote("envs", "-n", "elsewhere", "-o", "json")
	mustExit(t, moved, 0)
	if !strings.Contains(moved.stdout, `"namespace": "`+e.ns+`"`) || !strings.Contains(moved.stderr, "-n/--namespace ignored") {
		t.Errorf("envs -n moved the environment or said nothing:\n%s%s", moved.stdout, moved.stderr)
	}

	st := e.promote("status", "dev", "-o", "json")
	mustExit(t, st, 0)
	var status struct {
		Current  *struct{ Revision int }
		Health   string
		Lock     *struct{ Holder string }
		Problems []string
	}
	if err := json.Unmarshal([]byte(st.stdout), &status); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, st.stdout)
	}
	if status.Current == nil || status.Current.Revision != 1 || status.Health != "Healthy" || status.Lock != nil || len(status.Problems) > 0 {
		t.Errorf("status: %+v\n%s", status, st.stdout)
	}
	other := e.promote("status", "dev", "-n", "default")
	mustExit(t, other, 0)
	if !strings.Contains(other.stdout, "namespace default") || !strings.Contains(other.stdout, "no successful release yet") {
		t.Errorf("status -n default did not look in default:\n%s", other.stdout)
	}

	e.write(good) // the same release without extra.yaml
	d := e.promote("diff", "dev", "-o", "json")
	mustExit(t, d, 1)
	if !strings.Contains(d.stdout, `"object": "PodTemplate/`+e.ns+`/extra"`) || !strings.Contains(d.stderr, "1 to delete") {
		t.Errorf("diff does not show the PodTemplate apply prunes:\n%s%s", d.stdout, d.stderr)
	}
	mustExit(t, e.promote("apply", "dev"), 0)
	if _, err := e.client.CoreV1().PodTemplates(e.ns).Get(t.Context(), "extra", metav1.GetOptions{}); err == nil {
		t.Error("apply did not prune the PodTemplate the diff showed deleted")
	}
}

// appendResource adds file to the resources of the app's kustomization.
func appendResource(t *testing.T, dir, file string) {
	t.Helper()
	path := filepath.Join(dir, "app", "kustomization.yaml")
	k, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(k, []byte("- "+file+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
}
