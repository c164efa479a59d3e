package release

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// oldRecord is a record as the tool wrote it while the inventory had a
// reference type of its own in this package: its JSON must still decode.
const oldRecord = `{"pipeline":"shop","environment":"prod","namespace":"shop","revision":3,"status":"succeeded",` +
	`"strategy":"rolling","manifest":"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",` +
	`"inventory":[{"version":"v1","kind":"Namespace","name":"shop"},` +
	`{"group":"apps","version":"v1","kind":"Deployment","namespace":"shop","name":"web"},` +
	`{"version":"v1","kind":"Secret","namespace":"shop","name":"db"}]}`

func TestDecodeRecordWrittenBeforeOneObjectRef(t *testing.T) {
	rec, err := decode(gzipped(t, oldRecord))
	if err != nil {
		t.Fatal(err)
	}
	want := []kube.ObjectRef{
		{Version: "v1", Kind: "Namespace", Name: "shop"},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		{Version: "v1", Kind: "Secret", Namespace: "shop", Name: "db"},
	}
	if diff := cmp.Diff(want, rec.Inventory); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
	if got := rec.Inventory[1].String(); got != "Deployment/shop/web" {
		t.Errorf("String() = %q, want Deployment/shop/web", got)
	}
}

// The inventory is written as before, so older versions of the tool read
// records written by this one.
func TestInventoryEncodingUnchanged(t *testing.T) {
	var old struct {
		Inventory json.RawMessage `json:"inventory"`
	}
	if err := json.Unmarshal([]byte(oldRecord), &old); err != nil {
		t.Fatal(err)
	}
	rec, err := decode(gzipped(t, oldRecord))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(rec.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(old.Inventory), string(got)); diff != "" {
		t.Errorf("inventory JSON (-old +new):\n%s", diff)
	}
}
