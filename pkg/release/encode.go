package release

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
)

// MaxRecordSize bounds the encoded record: the apiserver rejects a Secret
// whose data exceeds 1 MiB.
const MaxRecordSize = 1 << 20

// maxDecodedSize bounds decompression, so a hostile Secret cannot exhaust memory.
const maxDecodedSize = 256 << 20

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// encode returns the gzipped JSON of r. Unlike Helm it is not base64-encoded
// first: Secret data is bytes, and the API already base64-encodes them once.
func encode(r *Record) ([]byte, int, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, 0, fmt.Errorf("encode release record: %w", err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, 0, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, 0, fmt.Errorf("compress release record: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, 0, fmt.Errorf("compress release record: %w", err)
	}
	return buf.Bytes(), len(raw), nil
}

// decode reverses encode. Its errors never quote the data, which holds the
// manifest.
func decode(data []byte) (*Record, error) {
	if !bytes.HasPrefix(data, gzipMagic) {
		return nil, fmt.Errorf("data %q is not gzip-compressed", DataKey)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decompress %q: %w", DataKey, err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(io.LimitReader(zr, maxDecodedSize+1))
	if err != nil {
		return nil, fmt.Errorf("decompress %q: %w", DataKey, err)
	}
	if len(raw) > maxDecodedSize {
		return nil, fmt.Errorf("data %q decompresses to more than %s", DataKey, humanBytes(maxDecodedSize))
	}
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode %q: %w", DataKey, jsonError(err))
	}
	return &r, nil
}

// jsonError drops what a JSON error could quote from the data; syntax and
// type errors carry offsets and type names only, but be sure.
func jsonError(err error) error {
	switch err.(type) {
	case *json.SyntaxError, *json.UnmarshalTypeError:
		return err
	}
	return fmt.Errorf("invalid JSON")
}

// tooLarge explains a record that does not fit, with sizes only.
func tooLarge(obj string, r *Record, compressed, raw int) error {
	return fmt.Errorf("%s: %w: %s gzipped (%s of JSON, manifest %s, %d objects) is over the %s a Secret can hold; "+
		"split the environment into smaller pipelines, or move large objects (CRDs, ConfigMaps with data files) out of it",
		obj, ErrTooLarge, humanBytes(compressed), humanBytes(raw), humanBytes(len(r.Manifest)), len(r.Inventory), humanBytes(MaxRecordSize))
}

// humanBytes formats n as B, KiB or MiB.
func humanBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
