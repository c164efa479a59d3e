package release

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// seed creates one record per status, revisions 1, 2, … in order.
func seed(t *testing.T, s *Store, statuses ...Status) []*Record {
	t.Helper()
	var out []*Record
	for i, st := range statuses {
		r := testRecord(t, i+1, st)
		r.Namespace = ""
		if err := s.Create(t.Context(), r); err != nil {
			t.Fatalf("Create(revision %d): %v", i+1, err)
		}
		out = append(out, r)
	}
	return out
}

func revisions(rs []*Record) []int {
	var out []int
	for _, r := range rs {
		out = append(out, r.Revision)
	}
	return out
}

func secretLabels(t *testing.T, client kubernetes.Interface, ns, name string) map[string]string {
	t.Helper()
	sec, err := client.CoreV1().Secrets(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sec.Type != SecretType {
		t.Errorf("Secret %s type = %q, want %q", name, sec.Type, SecretType)
	}
	return sec.Labels
}

func TestClusterStoreRoundTrip(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	s := NewStore(client, ns, "shop", "prod")

	if next, err := s.Next(ctx); err != nil || next != 1 {
		t.Fatalf("Next() on an empty store = %d, %v; want 1", next, err)
	}
	if r, err := s.Latest(ctx); r != nil || err != nil {
		t.Fatalf("Latest() on an empty store = %v, %v; want nil, nil", r, err)
	}
	created := seed(t, s, Succeeded, Failed, RolledBack, Succeeded)
	if created[0].Namespace != ns || created[0].Pipeline != "shop" {
		t.Errorf("Create did not fill the owner fields: %q %q", created[0].Namespace, created[0].Pipeline)
	}

	got, err := s.Get(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created[1], got); diff != "" {
		t.Errorf("Get(2) (-want +got):\n%s", diff)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []*Record{created[3], created[2], created[1], created[0]}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("List() (-want +got):\n%s", diff)
	}

	latest := []struct {
		statuses []Status
		want     int
	}{{nil, 4}, {[]Status{Succeeded}, 4}, {[]Status{Failed, RolledBack}, 3}, {[]Status{UndoFailed}, 0}}
	for _, tt := range latest {
		r, err := s.Latest(ctx, tt.statuses...)
		if err != nil {
			t.Fatal(err)
		}
		if got := revisionOf(r); got != tt.want {
			t.Errorf("Latest(%v) = revision %d, want %d", tt.statuses, got, tt.want)
		}
	}
	if next, err := s.Next(ctx); err != nil || next != 5 {
		t.Errorf("Next() = %d, %v; want 5", next, err)
	}
}

func revisionOf(r *Record) int {
	if r == nil {
		return 0
	}
	return r.Revision
}

func TestClusterStoreErrors(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	s := NewStore(client, ns, "shop", "prod")
	seed(t, s, Succeeded)

	_, err := s.Get(ctx, 9)
	wantMsg := "Secret/" + ns + "/promote.v1.shop.prod.v9: release record not found: prod has no revision 9"
	if !errors.Is(err, ErrNotFound) || err.Error() != wantMsg {
		t.Errorf("Get(9) error = %v, want %q wrapping ErrNotFound", err, wantMsg)
	}
	if err := s.Create(ctx, testRecord(t, 1, Succeeded)); err == nil || !strings.Contains(err.Error(), "for namespace") {
		t.Errorf("Create of a record of another namespace = %v, want an error", err)
	}
	dup := testRecord(t, 1, Progressing)
	dup.Namespace = ns
	if err := s.Create(ctx, dup); !errors.Is(err, ErrExists) {
		t.Errorf("Create(revision 1 again) = %v, want ErrExists", err)
	}
	missing := testRecord(t, 10, Succeeded)
	missing.Namespace = ns
	if err := s.Update(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update(revision 10) = %v, want ErrNotFound", err)
	}
	other, err := NewStore(client, ns, "shop", "staging").List(ctx)
	if err != nil || len(other) != 0 {
		t.Errorf("List() of another environment = %d records, %v; want none", len(other), err)
	}
	if _, err := NewStore(client, ns, "shop", "Prod").List(ctx); err == nil {
		t.Error("List() with an invalid environment name: want an error")
	}
}

func TestClusterStoreUpdateSyncsLabels(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	s := NewStore(client, ns, "shop", "prod")
	recs := seed(t, s, Succeeded, Progressing)

	recs[1].Status, recs[1].Reason = Succeeded, "healthy"
	recs[0].Status = Superseded
	for _, r := range recs {
		if err := s.Update(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range recs {
		labels := secretLabels(t, client, ns, s.SecretName(r.Revision))
		if diff := cmp.Diff(recordLabels(r), labels); diff != "" {
			t.Errorf("labels of revision %d (-want +got):\n%s", r.Revision, diff)
		}
	}
	got, err := s.Get(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recs[1], got); diff != "" {
		t.Errorf("Get(2) after Update (-want +got):\n%s", diff)
	}
	if r, err := s.Latest(ctx, Superseded); err != nil || revisionOf(r) != 1 {
		t.Errorf("Latest(superseded) = revision %d, %v; want 1", revisionOf(r), err)
	}
}

func TestClusterStorePrune(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	s := NewStore(client, ns, "shop", "prod")
	seed(t, s, Succeeded, Succeeded, Failed, RolledBack, Failed, Failed)
	for range 2 { // pruning twice changes nothing more
		if err := s.Prune(ctx, 3); err != nil {
			t.Fatal(err)
		}
		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{6, 5, 4, 2}, revisions(list)); diff != "" {
			t.Errorf("revisions after Prune(3) (-want +got):\n%s", diff)
		}
	}
}

// randomText returns n hex digits: text that compresses to about half.
func randomText(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)[:n]
}

func TestClusterStoreSizeBound(t *testing.T) {
	client, ns := onCluster(t)
	ctx := t.Context()
	s := NewStore(client, ns, "shop", "prod")

	r := testRecord(t, 1, Succeeded)
	r.Namespace = ""
	r.Manifest, r.Inventory = bigManifest(1000)
	if err := s.Create(ctx, r); err != nil {
		t.Fatalf("Create(1,000 objects): %v", err)
	}
	sec, err := client.CoreV1().Secrets(ns).Get(ctx, s.SecretName(1), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1,000 objects: manifest %s stored as a %s Secret", humanBytes(len(r.Manifest)), humanBytes(len(sec.Data[DataKey])))

	big := testRecord(t, 2, Progressing)
	big.Namespace = ""
	big.Manifest += randomText(t, 3*MaxRecordSize)
	err = s.Create(ctx, big)
	if !errors.Is(err, ErrTooLarge) || strings.Contains(err.Error(), secretMarker) {
		t.Fatalf("Create(too large) = %v, want ErrTooLarge without the manifest", err)
	}
	t.Logf("too large: %v", err)
	if _, err := s.Get(ctx, 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(2) after a too large Create = %v, want ErrNotFound", err)
	}

	// Just under the bound, the apiserver takes it: the bound is the server's.
	edge := testRecord(t, 3, Progressing)
	edge.Namespace = ""
	edge.Manifest = fitting(t, edge, MaxRecordSize-8<<10)
	if err := s.Create(ctx, edge); err != nil {
		t.Fatalf("Create(just under %s): %v", humanBytes(MaxRecordSize), err)
	}
}

// fitting returns a random manifest with which r encodes to between
// target-64KiB and target bytes.
func fitting(t *testing.T, r *Record, target int) string {
	t.Helper()
	n := 2 * target
	for range 8 {
		r.Manifest = randomText(t, n)
		data, _, err := encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) <= target && len(data) > target-64<<10 {
			t.Logf("edge record: %s gzipped", humanBytes(len(data)))
			return r.Manifest
		}
		n = int(float64(n) * float64(target-16<<10) / float64(len(data)))
	}
	t.Fatalf("no manifest encodes to just under %d bytes", target)
	return ""
}
