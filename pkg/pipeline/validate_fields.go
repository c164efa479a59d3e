package pipeline

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"k8s.io/apimachinery/pkg/util/validation"
)

// kustomizationFiles are the names kustomize accepts, in its order.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

func (v *validator) source(path, label string, s Source) {
	switch {
	case s.Kustomize == nil && s.Helm == nil:
		v.field(path, "%s: source is required: set kustomize: {path: …} or helm: {chart: …}", label)
	case s.Kustomize != nil && s.Helm != nil:
		v.field(path, "%s: source sets both kustomize and helm; keep one", label)
	case s.Kustomize != nil:
		v.kustomize(path+".kustomize", label, s.Kustomize)
	default:
		v.helm(path+".helm", label, s.Helm)
	}
	if s.RenderTimeout < 0 {
		v.field(path+".renderTimeout", "%s: source.renderTimeout must not be negative", label)
	}
}

func (v *validator) kustomize(path, label string, k *KustomizeSource) {
	if k.Path == "" {
		v.field(path, "%s: source.kustomize.path is required", label)
		return
	}
	fi := v.exists(path+".path", label, "kustomize path", k.Path)
	switch {
	case fi == nil:
	case !fi.IsDir():
		v.field(path+".path", "%s: kustomize path %s is a file; name the directory holding kustomization.yaml", label, k.Path)
	case !v.hasKustomization(k.Path):
		v.field(path+".path", "%s: kustomize path %s has no kustomization.yaml", label, k.Path)
	}
}

func (v *validator) hasKustomization(dir string) bool {
	for _, name := range kustomizationFiles {
		if fi, err := statFile(v.p.Resolve(filepath.Join(dir, name))); err == nil && !fi.IsDir() {
			return true
		}
	}
	return false
}

func (v *validator) helm(path, label string, h *HelmSource) {
	switch {
	case h.Chart == "":
		v.field(path, "%s: source.helm.chart is required", label)
	case h.Remote():
		v.remoteChart(path, label, h)
	default:
		v.localChart(path, label, h)
	}
	for i, f := range h.Values {
		fp := fmt.Sprintf("%s.values[%d]", path, i)
		if fi := v.exists(fp, label, "values file", f); fi != nil && fi.IsDir() {
			v.field(fp, "%s: values file %s is a directory", label, f)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(h.SetFile)) {
		fp := path + ".setFile." + key
		if fi := v.exists(fp, label, "setFile file", h.SetFile[key]); fi != nil && fi.IsDir() {
			v.field(fp, "%s: setFile %s: %s is a directory", label, key, h.SetFile[key])
		}
	}
	for _, key := range slices.Sorted(maps.Keys(h.SetJSON)) {
		if !json.Valid([]byte(h.SetJSON[key])) {
			// The value is not shown: it may be a credential.
			v.field(path+".setJSON."+key, "%s: setJSON %s: the value is not JSON (quote strings: '\"text\"')", label, key)
		}
	}
	if h.ReleaseName != "" {
		if errs := validation.IsDNS1123Subdomain(h.ReleaseName); len(errs) > 0 || len(h.ReleaseName) > 53 {
			v.field(path+".releaseName", "%s: releaseName %q must be lower-case letters, digits, '-' and '.', at most 53", label, h.ReleaseName)
		}
	}
}

func (v *validator) localChart(path, label string, h *HelmSource) {
	if fi := v.exists(path+".chart", label, "chart", h.Chart); fi != nil && fi.IsDir() {
		if _, err := statFile(v.p.Resolve(filepath.Join(h.Chart, "Chart.yaml"))); err != nil {
			v.field(path+".chart", "%s: chart %s has no Chart.yaml", label, h.Chart)
		}
	}
	if h.Version != "" {
		v.field(path+".version", "%s: helm.version is for a chart from a repository (repo) or an OCI registry (oci://…); a local chart's version is the one in its Chart.yaml", label)
	}
	if h.PlainHTTP {
		v.field(path+".plainHTTP", "%s: helm.plainHTTP is for an OCI registry (chart: oci://…)", label)
	}
}

func (v *validator) remoteChart(path, label string, h *HelmSource) {
	oci := strings.HasPrefix(h.Chart, OCIScheme)
	switch {
	case oci && h.Repo != "":
		v.field(path+".repo", "%s: an oci:// chart names its registry itself; drop helm.repo", label)
	case oci && strings.Trim(strings.TrimPrefix(h.Chart, OCIScheme), "/") == "":
		v.field(path+".chart", "%s: chart %s names no registry and chart (oci://registry/path/name)", label, h.Chart)
	case oci && strings.ContainsAny(strings.TrimPrefix(h.Chart, OCIScheme), "@"):
		v.field(path+".chart", "%s: chart %s: give the version in helm.version, not in the reference", label, h.Chart)
	case !oci && strings.Contains(h.Chart, "/"):
		v.field(path+".chart", "%s: chart %q of repository %s must be a chart name (no /)", label, h.Chart, h.Repo)
	case !oci && h.PlainHTTP:
		v.field(path+".plainHTTP", "%s: helm.plainHTTP is for an OCI registry; write the repository URL as http://…", label)
	}
	if !oci && strings.Contains(h.Repo, "://") && !strings.HasPrefix(h.Repo, "http://") && !strings.HasPrefix(h.Repo, "https://") {
		v.field(path+".repo", "%s: helm.repo %s must be an http(s):// URL or the name of a `helm repo add` repository", label, h.Repo)
	}
	if h.Version != "" {
		if _, err := semver.NewConstraint(h.Version); err != nil {
			v.field(path+".version", "%s: helm.version %q is neither a version nor a semver range (such as 1.2.3, ^1.2 or >=1.0 <2): %v", label, h.Version, err)
		}
	}
}

func (v *validator) strategy(path, label string, s Strategy) {
	if s.Canary != nil && s.BlueGreen != nil {
		v.field(path, "%s: strategy sets both canary and blueGreen; keep one (neither means rolling)", label)
	}
	if s.Canary != nil {
		v.canary(path+".canary", label, s.Canary)
	}
	if s.BlueGreen != nil {
		v.blueGreen(path+".blueGreen", label, s.BlueGreen)
	}
	if s.Analysis != nil && s.Name() != "rolling" {
		v.field(path+".analysis", "%s: strategy.analysis is for rolling; use a canary step {analysis: …} or blueGreen.prePromotionAnalysis/postPromotionAnalysis", label)
	}
	v.analysis(path+".analysis", label, s.Analysis)
}

func (v *validator) canary(path, label string, c *Canary) {
	v.traffic(path+".traffic", label, c.Traffic)
	if len(c.Steps) == 0 {
		v.field(path, "%s: canary.steps is empty: list steps such as [{weight: 20}, {pause: 1m}, {weight: 50}]", label)
	}
	last := 0
	for i, st := range c.Steps {
		sp := fmt.Sprintf("%s.steps[%d]", path, i)
		v.analysis(sp+".analysis", fmt.Sprintf("%s: canary step %d", label, i+1), st.Analysis)
		switch {
		case st.Analysis != nil && (st.Weight != nil || st.Pause != nil):
			v.field(sp, "%s: canary step %d sets analysis with weight or pause; give the analysis a step of its own", label, i+1)
		case st.Analysis != nil:
		case st.Weight == nil && st.Pause == nil:
			v.field(sp, "%s: canary step %d sets neither weight nor pause", label, i+1)
		case st.Weight != nil && st.Pause != nil:
			v.field(sp, "%s: canary step %d sets both weight and pause; split it into two steps", label, i+1)
		case st.Pause != nil:
			if st.Pause.Duration < 0 {
				v.field(sp+".pause", "%s: canary step %d: pause must not be negative", label, i+1)
			}
		case *st.Weight < 1 || *st.Weight > 100:
			v.field(sp+".weight", "%s: canary step %d: weight %d must be between 1 and 100", label, i+1, *st.Weight)
		case *st.Weight <= last:
			v.field(sp+".weight", "%s: canary step %d: weight %d must be above the previous weight %d", label, i+1, *st.Weight, last)
		default:
			last = *st.Weight
		}
	}
}

func (v *validator) traffic(path, label string, t *Traffic) {
	switch {
	case t == nil:
	case t.Nginx == nil && t.GatewayAPI == nil:
		v.field(path, "%s: canary.traffic names no router: set nginx: {ingress: …} or gatewayAPI: {httpRoute: …}, or drop traffic for replica ratio", label)
	case t.Nginx != nil && t.GatewayAPI != nil:
		v.field(path, "%s: canary.traffic sets both nginx and gatewayAPI; keep one", label)
	case t.Nginx != nil && t.Nginx.Ingress == "":
		v.field(path+".nginx", "%s: canary.traffic.nginx.ingress is required", label)
	case t.GatewayAPI != nil && t.GatewayAPI.HTTPRoute == "":
		v.field(path+".gatewayAPI", "%s: canary.traffic.gatewayAPI.httpRoute is required", label)
	}
}

func (v *validator) blueGreen(path, label string, b *BlueGreen) {
	if b.ActiveService == "" {
		v.field(path, "%s: blueGreen.activeService is required", label)
	}
	if b.PreviewService != "" && b.PreviewService == b.ActiveService {
		v.field(path+".previewService", "%s: blueGreen.previewService must differ from activeService", label)
	}
	if b.ScaleDownDelay < 0 {
		v.field(path+".scaleDownDelay", "%s: blueGreen.scaleDownDelay must not be negative", label)
	}
	v.analysis(path+".prePromotionAnalysis", label+": prePromotionAnalysis", b.PrePromotionAnalysis)
	v.analysis(path+".postPromotionAnalysis", label+": postPromotionAnalysis", b.PostPromotionAnalysis)
}

func (v *validator) gates(path, label string, g Gates) {
	if g.Approval != "" && g.Approval != ApprovalRequired {
		v.field(path+".approval", "%s: gates.approval %q is not supported; use %q or leave it out", label, g.Approval, ApprovalRequired)
	}
	if g.Soak < 0 {
		v.field(path+".soak", "%s: gates.soak must not be negative", label)
	}
}

func (v *validator) health(path, label string, h Health) {
	for _, d := range []struct {
		field string
		value Duration
	}{
		{"timeout", h.Timeout}, {"undoTimeout", h.UndoTimeout}, {"verify", h.Verify},
		{"unschedulableGrace", h.UnschedulableGrace},
	} {
		if d.value < 0 {
			v.field(path+"."+d.field, "%s: health.%s must not be negative", label, d.field)
		}
	}
	if h.Guard != nil && *h.Guard < 0 {
		v.field(path+".guard", "%s: health.guard must not be negative (0 turns the guard off)", label)
	}
	if h.RestartLimit < 0 {
		v.field(path+".restartLimit", "%s: health.restartLimit must not be negative", label)
	}
}

func (v *validator) history(path, label string, n int) {
	if n < 0 {
		v.field(path, "%s: history must not be negative", label)
	}
}
