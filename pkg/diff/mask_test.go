package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestMaskSecrets(t *testing.T) {
	tests := []struct {
		name                                 string
		live, desired, wantLive, wantDesired string
	}{
		{
			name:        "keys same, changed, added and removed",
			live:        `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {same: c2FtZQ==, chg: b2xk, gone: eA==}}`,
			desired:     `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {same: c2FtZQ==, chg: bmV3, new: eQ==}}`,
			wantLive:    `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {same: "***", chg: "*** (before)", gone: "--- (removed)"}}`,
			wantDesired: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {same: "***", chg: "*** (changed)", new: "+++ (added)"}}`,
		},
		{
			name:        "created: every key is added",
			desired:     `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: eA==}, stringData: {b: plain}}`,
			wantDesired: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: "+++ (added)"}, stringData: {b: "+++ (added)"}}`,
		},
		{
			name:     "deleted: every key is removed",
			live:     `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: eA==}}`,
			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: "--- (removed)"}}`,
		},
		{
			name: "last-applied masked, annotations holding a value scrubbed, others kept",
			live: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {
				kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"pw":"hunter22"}}',
				note: "pw is hunter22", other: "kept"}}, data: {pw: aHVudGVyMjI=}}`,
			desired: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {
				kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"pw":"hunter22"}}',
				note: "b64 aHVudGVyMjI=", other: "kept"}}, data: {pw: aHVudGVyMjI=}}`,
			wantLive: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {
				kubectl.kubernetes.io/last-applied-configuration: "***", note: "pw is ***", other: "kept"}}, data: {pw: "***"}}`,
			wantDesired: `{apiVersion: v1, kind: Secret, metadata: {name: s, annotations: {
				kubectl.kubernetes.io/last-applied-configuration: "***", note: "b64 ***", other: "kept"}}, data: {pw: "***"}}`,
		},
		{
			name:        "created with a string data and stringData: masked whole",
			desired:     `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: "canary-value", stringData: [canary-value]}`,
			wantDesired: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: "+++ (added)", stringData: "+++ (added)"}`,
		},
		{
			name:        "map on one side, string on the other: masked whole",
			live:        `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: eA==}}`,
			desired:     `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: "canary-value"}`,
			wantLive:    `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: "*** (before)"}`,
			wantDesired: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: "*** (changed)"}`,
		},
		{
			name:        "non-string values inside data: masked",
			desired:     `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: {nested: canary-value}, b: 12345}}`,
			wantDesired: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: "+++ (added)", b: "+++ (added)"}}`,
		},
		{
			name:        "other kinds are untouched",
			live:        `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: b}}`,
			desired:     `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: c}}`,
			wantLive:    `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: b}}`,
			wantDesired: `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: c}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, desired := obj(t, tt.live), obj(t, tt.desired)
			liveBefore, desiredBefore := copyOrNil(live), copyOrNil(desired)
			gotLive, gotDesired := MaskSecrets(live, desired)
			if d := cmp.Diff(content(obj(t, tt.wantLive)), content(gotLive)); d != "" {
				t.Errorf("live (-want +got):\n%s", d)
			}
			if d := cmp.Diff(content(obj(t, tt.wantDesired)), content(gotDesired)); d != "" {
				t.Errorf("desired (-want +got):\n%s", d)
			}
			if d := cmp.Diff(content(liveBefore), content(live)); d != "" {
				t.Errorf("MaskSecrets changed live (-want +got):\n%s", d)
			}
			if d := cmp.Diff(content(desiredBefore), content(desired)); d != "" {
				t.Errorf("MaskSecrets changed desired (-want +got):\n%s", d)
			}
		})
	}
}

func content(u *unstructured.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	return u.Object
}
