package promote

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-promote/kubectl-promote/pkg/analysis"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// analyze runs one analysis for the strategy (rollout.Switch.Analyze),
// reports it and keeps its result in the release record. Its error is the
// analysis' verdict, measured values included; the strategy names the step.
func (d *deployment) analyze(ctx context.Context, name string, a *pipeline.Analysis) error {
	d.emit("analysis", "%s: %d check(s): %s", name, len(a.Checks), checkNames(a))
	res, err := analysis.Run(ctx, a, d.analysisVars(), analysis.Clients{Kube: d.Clients.Typed, Config: d.Clients.Config}, d.Clock)
	if res != nil {
		res.Name = name
		d.rec.Analysis = append(d.rec.Analysis, res.JSON())
		if uerr := d.store.Update(ctx, d.rec); uerr != nil {
			d.emit("analysis", "warning: recording the analysis in revision %d: %v", d.rec.Revision, uerr)
		}
	}
	if err != nil {
		return err
	}
	d.emit("analysis", "%s: %s: %s", name, res.Phase, res.Message)
	return res.Err()
}

func checkNames(a *pipeline.Analysis) string {
	s := ""
	for i, c := range a.Checks {
		if i > 0 {
			s += ", "
		}
		s += c.Name
	}
	return s
}

// analysisVars are the template variables of this release.
func (d *deployment) analysisVars() analysis.Vars {
	v := analysis.Vars{Env: d.Env.Name, Namespace: d.Namespace, CanaryRevision: d.rec.Revision, Image: firstImage(d.Objects)}
	if d.result.Previous != nil {
		v.StableRevision = d.result.Previous.Revision
	}
	return v
}

// firstImage is the first container image of the first workload.
func firstImage(objs []*unstructured.Unstructured) string {
	for _, u := range objs {
		cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		for _, c := range cs {
			if m, ok := c.(map[string]any); ok {
				if img, ok := m["image"].(string); ok && img != "" {
					return img
				}
			}
		}
	}
	return ""
}
