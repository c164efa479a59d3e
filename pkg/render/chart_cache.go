package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/Masterminds/semver/v3"
)

// ChartCacheEnv names the environment variable that moves the chart cache.
const ChartCacheEnv = "KUBECTL_PROMOTE_CHART_CACHE"

// DefaultChartCache is where charts from repositories and registries are
// kept: $KUBECTL_PROMOTE_CHART_CACHE, else kubectl-promote/charts under the
// user's cache directory ($XDG_CACHE_HOME, ~/.cache on Linux,
// ~/Library/Caches on macOS).
func DefaultChartCache() string {
	if dir := os.Getenv(ChartCacheEnv); dir != "" {
		return dir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "kubectl-promote", "charts")
}

// chartCache keeps chart archives by the sha256 of their bytes
// (sha256/<hex>.tgz) and, per chart source, which archive each exact
// version is (refs/<hash of the source>/<version>.json). A version is
// treated as immutable, as Helm's own dependency lock does: once cached it
// renders without the server.
type chartCache struct {
	dir string
}

// cachedRef is one refs/ entry.
type cachedRef struct {
	Source  string `json:"source"`
	Version string `json:"version"`
	// Archive is "sha256:<hex>" of the .tgz.
	Archive string `json:"archive"`
	// Digest is the OCI manifest digest, for registry charts.
	Digest string `json:"digest,omitempty"`
}

func (c chartCache) refDir(source string) string {
	sum := sha256.Sum256([]byte(source))
	return filepath.Join(c.dir, "refs", hex.EncodeToString(sum[:16]))
}

func (c chartCache) archivePath(archive string) string {
	return filepath.Join(c.dir, "sha256", archive[len("sha256:"):]+".tgz")
}

// lookup finds the archive of source at an exact version; with digest set
// it must be the one recorded for that version.
func (c chartCache) lookup(source, version, digest string) (pulled, bool) {
	if !isExact(version) {
		return pulled{}, false
	}
	b, err := os.ReadFile(filepath.Join(c.refDir(source), version+".json"))
	if err != nil {
		return pulled{}, false
	}
	var ref cachedRef
	if json.Unmarshal(b, &ref) != nil || ref.Source != source || ref.Version != version {
		return pulled{}, false
	}
	if digest != "" && ref.Digest != digest {
		return pulled{}, false
	}
	path := c.archivePath(ref.Archive)
	data, err := os.ReadFile(path)
	if err != nil || archiveDigest(data) != ref.Archive {
		return pulled{}, false
	}
	return pulled{path: path, version: ref.Version, digest: ref.Digest, archive: ref.Archive}, true
}

// best finds the highest cached version of source that satisfies
// constraint (empty: any).
func (c chartCache) best(source, constraint string) (pulled, bool) {
	entries, err := os.ReadDir(c.refDir(source))
	if err != nil {
		return pulled{}, false
	}
	check, err := semver.NewConstraint(orAny(constraint))
	if err != nil {
		return pulled{}, false
	}
	var versions []*semver.Version
	for _, e := range entries {
		name := e.Name()
		if filepath.Ext(name) != ".json" {
			continue
		}
		if v, err := semver.NewVersion(name[:len(name)-len(".json")]); err == nil && check.Check(v) {
			versions = append(versions, v)
		}
	}
	sort.Sort(sort.Reverse(semver.Collection(versions)))
	for _, v := range versions {
		if p, ok := c.lookup(source, v.Original(), ""); ok {
			return p, true
		}
	}
	return pulled{}, false
}

func orAny(constraint string) string {
	if constraint == "" {
		return "*"
	}
	return constraint
}

// store keeps data as source at version and returns where it is.
func (c chartCache) store(source, version, digest string, data []byte) (pulled, error) {
	if !isExact(version) {
		return pulled{}, fmt.Errorf("chart version %q is not a semantic version", version)
	}
	archive := archiveDigest(data)
	path := c.archivePath(archive)
	if err := writeAtomic(path, data); err != nil {
		return pulled{}, fmt.Errorf("chart cache %s: %w", c.dir, err)
	}
	ref, err := json.Marshal(cachedRef{Source: source, Version: version, Archive: archive, Digest: digest})
	if err != nil {
		return pulled{}, err
	}
	if err := writeAtomic(filepath.Join(c.refDir(source), version+".json"), ref); err != nil {
		return pulled{}, fmt.Errorf("chart cache %s: %w", c.dir, err)
	}
	return pulled{path: path, version: version, digest: digest, archive: archive}, nil
}

func archiveDigest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// writeAtomic writes through a temporary file and a rename, so a
// concurrent render never reads half a file.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(f.Name())
	}
	return werr
}

// isExact tells whether version names one version rather than a range.
func isExact(version string) bool {
	_, err := semver.StrictNewVersion(version)
	return err == nil
}
