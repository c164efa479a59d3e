package helmimport

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	helmrelease "helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

func testRelease() *Release {
	return &Release{Helm: &helmrelease.Release{Name: "shop", Namespace: "prod", Version: 3,
		Chart:  &chart.Chart{Metadata: &chart.Metadata{Name: "shop", Version: "0.3.0"}},
		Config: map[string]any{"secrets": map[string]any{"SESSION_KEY": "s3cret"}}}}
}

func liveObject(labels, annotations map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("ConfigMap")
	u.SetNamespace("prod")
	u.SetName("shop-config")
	u.SetLabels(labels)
	u.SetAnnotations(annotations)
	return u
}

// TestCheck: an object the takeover may take, and those it refuses with
// the exit code and the words that say why.
func TestCheck(t *testing.T) {
	owner := diff.Owner{Pipeline: "shop", Environment: "prod"}
	helm := map[string]string{diff.HelmReleaseNameAnnotation: "shop", diff.HelmReleaseNamespaceAnnotation: "prod"}
	for _, tc := range []struct {
		name     string
		live     *unstructured.Unstructured
		code     int
		contains string
	}{
		{"the release's object", liveObject(nil, helm), exitcode.OK, ""},
		{"no Helm marks (Helm before 3.2)", liveObject(nil, nil), exitcode.OK, ""},
		{"already this environment's", liveObject(map[string]string{kube.LabelPipeline: "shop", kube.LabelEnvironment: "prod"}, helm), exitcode.OK, ""},
		{"missing", nil, exitcode.Cluster, "not in the cluster: repair the release"},
		{"another release's", liveObject(nil, map[string]string{diff.HelmReleaseNameAnnotation: "cart", diff.HelmReleaseNamespaceAnnotation: "prod"}), exitcode.Cluster, "marked as Helm release prod/cart's"},
		{"another environment's", liveObject(map[string]string{kube.LabelPipeline: "shop", kube.LabelEnvironment: "staging"}, helm), exitcode.BadInput, `environment "staging"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := kube.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "prod", Name: "shop-config"}
			err := testRelease().check(ref, tc.live, owner)
			if got := exitcode.Code(err); got != tc.code {
				t.Fatalf("exit code %d, want %d (%v)", got, tc.code, err)
			}
			if err != nil && (!strings.Contains(err.Error(), tc.contains) || !strings.HasPrefix(err.Error(), "ConfigMap/prod/shop-config: ")) {
				t.Errorf("error %q: want it to start with the object and say %q", err, tc.contains)
			}
		})
	}
}

// TestOrigin: the record keeps name, revision, chart and values; String
// names the release without its values.
func TestOrigin(t *testing.T) {
	r := testRelease()
	o, err := r.Origin()
	if err != nil {
		t.Fatal(err)
	}
	h := o.Helm
	if h.Release != "shop" || h.Namespace != "prod" || h.Revision != 3 || h.Chart != "shop-0.3.0" || !strings.Contains(string(h.Values), "s3cret") {
		t.Errorf("origin = %+v", h)
	}
	if s := r.String(); s != "Helm release prod/shop revision 3 (chart shop-0.3.0)" || strings.Contains(h.String(), "s3cret") {
		t.Errorf("String() = %q, HelmOrigin.String() = %q", s, h.String())
	}
}
