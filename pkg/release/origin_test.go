package release

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSummaryLeavesOutHelmValues: a record keeps the Helm values it took
// over (they may hold secrets); its summary, which history, status and
// the dashboard print, keeps the rest of the origin only.
func TestSummaryLeavesOutHelmValues(t *testing.T) {
	rec := &Record{Revision: 1, Status: Succeeded, Origin: &Origin{Helm: &HelmOrigin{
		Release: "shop", Namespace: "prod", Revision: 3, Chart: "shop-0.3.0", Values: json.RawMessage(`{"password":"s3cret"}`)}}}
	b, err := json.Marshal(rec.Summary())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), `"chart":"shop-0.3.0"`) {
		t.Errorf("summary = %s; want the origin without its values", b)
	}
	if string(rec.Origin.Helm.Values) == "" {
		t.Error("Summary emptied the record's own values")
	}
	if got, want := rec.Origin.Helm.String(), "Helm release prod/shop revision 3 (chart shop-0.3.0)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
