package release

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		r    *Record
	}{
		{"every field", testRecord(t, 7, RolledBack)},
		{"minimal", &Record{Pipeline: "p", Environment: "e", Namespace: "n", Revision: 1, Status: Progressing}},
		{"opaque analysis", func() *Record {
			r := testRecord(t, 2, Succeeded)
			r.Analysis = append(r.Analysis, []byte(`{"name":"error-rate","value":0.01}`))
			return r
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, raw, err := encode(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, gzipMagic) || raw <= 0 {
				t.Fatalf("encode() = %d bytes (raw %d), want gzip", len(data), raw)
			}
			got, err := decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.r, got); diff != "" {
				t.Errorf("decode(encode(r)) (-want +got):\n%s", diff)
			}
		})
	}
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeErrorsNeverQuoteData(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, `data "release" is not gzip-compressed`},
		{"plain JSON", []byte(`{"manifest":"` + secretMarker + `"}`), "not gzip-compressed"},
		{"truncated gzip", gzipped(t, `{"manifest":"`+secretMarker+`"}`)[:12], "decompress"},
		{"bad JSON", gzipped(t, `{"manifest":"`+secretMarker+`"`), "decode"},
		{"wrong type", gzipped(t, `{"revision":"`+secretMarker+`"}`), "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("decode() error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), secretMarker) {
				t.Errorf("decode() error quotes the data: %v", err)
			}
		})
	}
}

// TestRecordSize measures the encoded size of a release of 1,000 objects:
// it must stay well under the 1 MiB a Secret holds.
func TestRecordSize(t *testing.T) {
	for _, n := range []int{100, 1000, 3000} {
		r := testRecord(t, 1, Succeeded)
		r.Manifest, r.Inventory = bigManifest(n)
		data, raw, err := encode(r)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d objects: manifest %s, JSON %s, gzipped %s (%.1f%% of the %s limit)",
			n, humanBytes(len(r.Manifest)), humanBytes(raw), humanBytes(len(data)),
			100*float64(len(data))/MaxRecordSize, humanBytes(MaxRecordSize))
		if n == 1000 && len(data) > MaxRecordSize/4 {
			t.Errorf("1,000 objects encode to %s, want under a quarter of the limit", humanBytes(len(data)))
		}
	}
}

func TestTooLargeNamesSizesOnly(t *testing.T) {
	r := testRecord(t, 3, Progressing)
	err := tooLarge("Secret/shop/promote.v1.shop.prod.v3", r, 1<<21, 1<<24)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v does not wrap ErrTooLarge", err)
	}
	want := "Secret/shop/promote.v1.shop.prod.v3: release record too large: 2.0 MiB gzipped (16.0 MiB of JSON, manifest 113 B, 2 objects) is over the 1.0 MiB a Secret can hold"
	if got := err.Error(); !strings.HasPrefix(got, want) || strings.Contains(got, secretMarker) {
		t.Errorf("error = %q, want it to start with %q and not quote the manifest", got, want)
	}
}

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1536, "1.5 KiB"}, {1 << 20, "1.0 MiB"}, {3 << 19, "1.5 MiB"}}
	for _, tt := range tests {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
