package notify

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/pkg/release"
)

var at = time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)

func failedRecord() *release.Record {
	return &release.Record{
		Pipeline: "shop", Environment: "prod", Namespace: "shop", Revision: 7, Status: release.Failed,
		Strategy: "canary", Source: &release.Source{Environment: "staging", Revision: 4},
		Artifacts: []release.Artifact{
			{Type: release.ArtifactImage, Name: "ghcr.io/acme/shop", Ref: "ghcr.io/acme/shop:1.4.2@sha256:0123456789abcdef"},
			{Type: release.ArtifactChart, Name: "shop", Ref: "shop-0.9.1"},
		},
		Reason: "Pod/shop/web-7c9-x2 container web: CrashLoopBackOff <restarted 3 times> & exits 1",
		User:   "alice", Host: "runner-12", CIJobURL: "https://ci.example/acme/shop/jobs/991",
	}
}

func TestPayloadGolden(t *testing.T) {
	rolledBack := failedRecord()
	rolledBack.Status, rolledBack.RolledBackTo = release.RolledBack, 6
	tests := []struct {
		name string
		e    Event
	}{
		{"started", FromRecord(Started, &release.Record{
			Pipeline: "shop", Environment: "dev", Namespace: "shop-dev", Revision: 1, Status: release.Progressing,
			Strategy: "rolling", User: "bob", Host: "laptop",
			Artifacts: []release.Artifact{{Type: release.ArtifactImage, Name: "shop", Ref: "shop:1.0"}},
		}, ByCLI, at)},
		{"failed", FromRecord(Failed, failedRecord(), ByCLI, at)},
		{"rolled-back", FromRecord(RolledBack, rolledBack, ByGuard, at)},
		{"gate-blocked", Event{
			Kind: GateBlocked, Pipeline: "shop", Environment: "prod", Namespace: "shop", Outcome: OutcomeBlocked,
			Source: &release.Source{Environment: "staging", Revision: 4},
			Reason: "soak: staging revision 4 has been healthy for 10m of 1h", By: ByCLI, User: "alice", Time: at,
		}},
	}
	for _, tt := range tests {
		for _, format := range []string{pipeline.NotifySlack, pipeline.NotifyCloudEvents} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				body, _, err := payload(format, tt.e)
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				if err := json.Indent(&out, body, "", "  "); err != nil {
					t.Fatal(err)
				}
				testutil.Golden(t, filepath.Join("testdata", tt.name+"."+format+".json"), out.String()+"\n")
			})
		}
	}
}

// TestCloudEventsEnvelope checks the attributes CloudEvents 1.0 requires,
// apart from the golden files, so that a careless -update cannot drop one.
func TestCloudEventsEnvelope(t *testing.T) {
	body, contentType, err := payload(pipeline.NotifyCloudEvents, FromRecord(Failed, failedRecord(), ByCLI, at))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "application/cloudevents+json; charset=utf-8" {
		t.Errorf("content type = %q", contentType)
	}
	var ce map[string]any
	if err := json.Unmarshal(body, &ce); err != nil {
		t.Fatal(err)
	}
	for attr, want := range map[string]string{
		"specversion": "1.0", "type": "dev.kubectl-promote.release.failed", "source": "kubectl-promote/shop/prod",
		"time": "2026-12-02T07:30:00Z", "datacontenttype": "application/json",
	} {
		if ce[attr] != want {
			t.Errorf("%s = %v, want %q", attr, ce[attr], want)
		}
	}
	if id, _ := ce["id"].(string); id == "" {
		t.Error("id is empty")
	}
	if data, _ := ce["data"].(map[string]any); data["revision"] != float64(7) || data["outcome"] != "failed" {
		t.Errorf("data = %v", ce["data"])
	}
}
