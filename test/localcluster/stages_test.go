package localcluster

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// stage is the part of a kwok Stage these tests look at.
type stage struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		ResourceRef struct {
			Kind string `json:"kind"`
		} `json:"resourceRef"`
		Selector struct {
			MatchExpressions []struct {
				Key      string   `json:"key"`
				Operator string   `json:"operator"`
				Values   []string `json:"values"`
			} `json:"matchExpressions"`
		} `json:"selector"`
		Next struct {
			StatusTemplate string `json:"statusTemplate"`
			Delete         bool   `json:"delete"`
		} `json:"next"`
	} `json:"spec"`
}

func stages(t *testing.T) map[string]stage {
	t.Helper()
	data, err := kwokConfig()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]stage{}
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var s stage
		if err := yaml.Unmarshal(bytes.TrimPrefix(doc, []byte("---\n")), &s); err != nil {
			t.Fatalf("stage document:\n%s\n%v", doc, err)
		}
		if s.Kind != "Stage" || s.Metadata.Name == "" {
			t.Fatalf("not a named Stage:\n%s", doc)
		}
		if _, dup := out[s.Metadata.Name]; dup {
			t.Fatalf("Stage %s defined twice", s.Metadata.Name)
		}
		if s.Spec.Next.StatusTemplate == "" && !s.Spec.Next.Delete {
			t.Errorf("Stage %s does nothing", s.Metadata.Name)
		}
		out[s.Metadata.Name] = s
	}
	return out
}

// TestStagesCoverKwokDefaults: with any Stage in --config kwok drops its
// own, so ours must initialise nodes and run, complete and delete pods.
func TestStagesCoverKwokDefaults(t *testing.T) {
	got := stages(t)
	for _, name := range []string{"node-initialize", "node-heartbeat", "pod-ready", "pod-complete", "pod-delete"} {
		if _, ok := got[name]; !ok {
			t.Errorf("missing Stage %s", name)
		}
	}
}

// TestFatesExcludedFromDefaultStages: a stage that any pod may match must
// leave pods with a fate alone, or it races their own stage.
func TestFatesExcludedFromDefaultStages(t *testing.T) {
	// late-crash pods become Ready first, so the default stages do not
	// exclude it; every fate has a stage of its own.
	fates := []string{FateCrashLoop, FateNeverReady, FateImagePull, FateOOM}
	own := append(slices.Clone(fates), FateLateCrash)
	// The fate comes from the label, or else from an image tag ending in it.
	selectorKey := `.metadata.labels["` + FateLabel + `"] // ([.spec.containers[].image | capture("[:-](?<f>crashloop|never-ready|image-pull|oom|late-crash)(@|$)") | .f] | first)`
	for name, s := range stages(t) {
		if s.Spec.ResourceRef.Kind != "Pod" || name == "pod-delete" {
			continue
		}
		var values []string
		var op string
		for _, e := range s.Spec.Selector.MatchExpressions {
			if e.Key == selectorKey {
				op, values = e.Operator, e.Values
			}
		}
		switch {
		case op == "In" && len(values) == 1 && slices.Contains(own, values[0]):
		case op == "NotIn" && slices.Equal(slices.Sorted(slices.Values(values)), slices.Sorted(slices.Values(fates))):
		default:
			t.Errorf("Stage %s: selector on %s is %s %v; want In one fate, or NotIn all of %s",
				name, FateLabel, op, values, strings.Join(fates, ","))
		}
	}
}
