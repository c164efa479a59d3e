package promote

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

// writeChartVersion sets source.helm.version of env in the pipeline file
// to the promoted chart's exact version, replacing a range or an older
// pin, or adding the key after chart: when there is none. The OCI digest
// is not written: promote.yaml pins versions, and the digest is checked
// by every promotion.
func writeChartVersion(p *pipeline.Pipeline, env *pipeline.Environment, chart *release.Artifact, files map[string][]byte) error {
	version, _ := ChartRef(chart.Ref)
	f, err := loadYAML(p.Path)
	if err != nil {
		return err
	}
	helm, err := helmNode(f, env.Name)
	if err != nil {
		return err
	}
	if _, v := lookup(helm, "version"); v != nil {
		if err := f.setScalar(v, version); err != nil {
			return err
		}
	} else if err := f.addVersion(helm, version); err != nil {
		return err
	}
	files[p.Path] = f.bytes()
	return nil
}

// helmNode finds spec.environments[name].source.helm.
func helmNode(f *yamlFile, name string) (*yaml.Node, error) {
	_, spec := lookup(f.root, "spec")
	_, envs := lookup(spec, "environments")
	if envs == nil || envs.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: no spec.environments list", f.path)
	}
	for _, e := range envs.Content {
		if _, n := lookup(e, "name"); n == nil || n.Value != name {
			continue
		}
		_, src := lookup(e, "source")
		if _, h := lookup(src, "helm"); h != nil && h.Kind == yaml.MappingNode {
			return h, nil
		}
		return nil, fmt.Errorf("%s:%d: environment %s has no source.helm mapping", f.path, e.Line, name)
	}
	return nil, fmt.Errorf("%s: no environment %s", f.path, name)
}

// addVersion adds version: after the chart key of a helm mapping, in its
// style: a new line in a block mapping, ", version: …" in a flow one.
func (f *yamlFile) addVersion(helm *yaml.Node, version string) error {
	key, chart := lookup(helm, "chart")
	if chart == nil {
		return fmt.Errorf("%s:%d: source.helm has no chart", f.path, helm.Line)
	}
	if helm.Style != yaml.FlowStyle {
		f.insertAfter(chart, key.Column, []string{"version: " + scalar(version)})
		return nil
	}
	at := f.offset(chart.Line, chart.Column)
	end, err := f.scalarEnd(chart, at)
	if err != nil {
		return err
	}
	f.edits = append(f.edits, textEdit{at: end, end: end, text: ", version: " + scalar(version)})
	return nil
}
