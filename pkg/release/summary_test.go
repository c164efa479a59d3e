package release

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummary(t *testing.T) {
	r := testRecord(t, 7, RolledBack)
	want := Summary{
		Revision: 7, Status: RolledBack, Source: r.Source, Artifacts: r.Artifacts, Strategy: "canary",
		User: "alice", Host: "laptop", CIJobURL: "https://ci.example/job/1", GitCommit: "0123abc", Approver: "bob",
		Started: t0, Finished: t0.Add(90 * time.Second), Duration: "1m30s",
		Reason: "promoted from staging", Failure: r.Failure, Gates: r.Gates, RolledBackTo: 3, Objects: 2,
	}
	if diff := cmp.Diff(want, r.Summary()); diff != "" {
		t.Errorf("Summary() (-want +got):\n%s", diff)
	}
	r.Finished = time.Time{}
	if got := r.Summary().Duration; got != "" {
		t.Errorf("unfinished Duration = %q, want empty", got)
	}
}
