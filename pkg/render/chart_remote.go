package render

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/cli"
	"helm.sh/helm/v3/pkg/downloader"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/registry"
	helmrepo "helm.sh/helm/v3/pkg/repo"

	"github.com/kubectl-promote/kubectl-promote/pkg/input"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// FetchTimeout bounds each request to a chart repository or registry, so
// a server that does not answer is reported as unreachable (exit 3) well
// before the render budget ends.
const FetchTimeout = 30 * time.Second

// remoteChart is a chart of an HTTP chart repository or an OCI registry,
// as the source names it.
type remoteChart struct {
	repo      string // repository URL or `helm repo add` name; empty for OCI
	name      string // chart name in repo, or oci://registry/path/name
	version   string // as written: exact, a range, or empty for the newest
	plainHTTP bool
}

func newRemoteChart(src *pipeline.HelmSource) *remoteChart {
	return &remoteChart{repo: src.Repo, name: src.Chart, version: src.Version, plainHTTP: src.PlainHTTP}
}

func (c *remoteChart) oci() bool { return strings.HasPrefix(c.name, pipeline.OCIScheme) }

// String names the chart in messages: the OCI reference, or the chart and
// its repository.
func (c *remoteChart) String() string {
	if c.oci() {
		return c.name
	}
	return c.name + " of repository " + redactURL(c.repo)
}

// redactURL hides the password of a URL that carries one.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

// chartWant is the version a render asks for: the source's own, or one
// promoted from upstream, with the OCI digest upstream ran.
type chartWant struct {
	version string
	digest  string
}

func (w chartWant) String() string {
	switch {
	case w.version == "":
		return "(newest)"
	case w.digest != "":
		return w.version + "@" + w.digest
	}
	return w.version
}

// chartName is the chart's own name: the last path segment of an OCI
// reference (Helm requires it to be), the name in the repository.
func (c *remoteChart) chartName() string {
	return c.name[strings.LastIndex(c.name, "/")+1:]
}

// want is the version to render: the promoted one (Options.ChartVersion,
// with its OCI digest), unless it is another chart's, else the source's.
func (c *remoteChart) want(opts Options) (chartWant, string) {
	own := chartWant{version: c.version}
	switch {
	case opts.ChartVersion == "":
		return own, ""
	case opts.ChartName != "" && opts.ChartName != c.chartName():
		return own, fmt.Sprintf("chart %s %s is promoted, but this environment renders chart %s: its own version %s was rendered",
			opts.ChartName, opts.ChartVersion, c.chartName(), own)
	}
	w := chartWant{version: opts.ChartVersion}
	if c.oci() {
		w.digest = opts.ChartDigest
	}
	return w, ""
}

// pulled is a chart archive in the cache.
type pulled struct {
	path    string // the .tgz
	version string // exact
	digest  string // OCI manifest digest; empty for HTTP repositories
	archive string // sha256 of the .tgz
	warning string
}

// fetcher gets charts with Helm's own machinery and settings: repositories
// and their credentials from `helm repo add` (HELM_REPOSITORY_CONFIG),
// registry logins from `helm registry login` (HELM_REGISTRY_CONFIG).
type fetcher struct {
	settings *cli.EnvSettings
	cache    chartCache
	timeout  time.Duration
	// maxArchive bounds a chart archive, like any other input file.
	maxArchive int64
}

func newFetcher(opts Options) fetcher {
	f := fetcher{settings: opts.Helm, cache: chartCache{dir: opts.ChartCache}, timeout: FetchTimeout, maxArchive: input.DefaultMaxFileSize}
	if f.settings == nil {
		f.settings = cli.New()
	}
	if f.cache.dir == "" {
		f.cache.dir = DefaultChartCache()
	}
	return f
}

// get returns the archive of c at want: from the cache when the version is
// exact and cached, else from the server. When the server cannot be
// reached and the version is a range, the newest cached version in it is
// used, with a warning.
func (f fetcher) get(ctx context.Context, c *remoteChart, want chartWant) (pulled, error) {
	source, err := f.source(c)
	if err != nil {
		return pulled{}, chartError(c, want, err)
	}
	if p, ok := f.cache.lookup(source, want.version, want.digest); ok {
		return p, nil
	}
	if err := ctx.Err(); err != nil {
		return pulled{}, err
	}
	var p pulled
	if c.oci() {
		p, err = f.fromRegistry(c, source, want)
	} else {
		p, err = f.fromRepository(c, source, want)
	}
	if err == nil {
		return p, nil
	}
	err = chartError(c, want, err)
	if !isExact(want.version) && unreachable(err) {
		if p, ok := f.cache.best(source, want.version); ok {
			p.warning = fmt.Sprintf("%v; rendering version %s from the chart cache (%s)", err, p.version, f.cache.dir)
			return p, nil
		}
	}
	return pulled{}, err
}

// source is the cache's name for c: the OCI reference, or the repository
// URL and chart name.
func (f fetcher) source(c *remoteChart) (string, error) {
	if c.oci() {
		return c.name, nil
	}
	entry, err := f.repoEntry(c.repo)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(entry.URL, "/") + "#" + c.name, nil
}

// repoEntry finds the repository in Helm's repositories file, by name or
// by URL, for its credentials and TLS files; a URL that `helm repo add`
// never saw is used without them.
func (f fetcher) repoEntry(nameOrURL string) (*helmrepo.Entry, error) {
	file, err := helmrepo.LoadFile(f.settings.RepositoryConfig)
	if err != nil && !os.IsNotExist(unwrapAll(err)) {
		return nil, fmt.Errorf("reading the helm repositories file: %w", err)
	}
	isURL := strings.Contains(nameOrURL, "://")
	if file != nil {
		for _, e := range file.Repositories {
			if e.Name == nameOrURL || (isURL && sameURL(e.URL, nameOrURL)) {
				copied := *e
				return &copied, nil
			}
		}
	}
	if !isURL {
		return nil, badChart("no repository named %q in %s (add it with `helm repo add %s URL`, or write its URL in helm.repo)", nameOrURL, f.settings.RepositoryConfig, nameOrURL)
	}
	return &helmrepo.Entry{URL: nameOrURL}, nil
}

func sameURL(a, b string) bool { return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/") }

// fromRepository reads the repository's index.yaml, resolves the version
// there, and downloads the archive with Helm's ChartDownloader unless the
// cache holds that version already.
func (f fetcher) fromRepository(c *remoteChart, source string, want chartWant) (pulled, error) {
	entry, err := f.repoEntry(c.repo)
	if err != nil {
		return pulled{}, err
	}
	tmp, err := os.MkdirTemp("", "kubectl-promote-chart-")
	if err != nil {
		return pulled{}, err
	}
	defer os.RemoveAll(tmp)
	getters := getter.All(f.settings, getter.WithTimeout(f.timeout))
	indexEntry := *entry
	indexEntry.Name = "index"
	r, err := helmrepo.NewChartRepository(&indexEntry, getters)
	if err != nil {
		return pulled{}, err
	}
	r.CachePath = tmp
	indexFile, err := r.DownloadIndexFile()
	if err != nil {
		return pulled{}, fmt.Errorf("index of %s: %w", entry.URL, err)
	}
	index, err := helmrepo.LoadIndexFile(indexFile)
	if err != nil {
		return pulled{}, fmt.Errorf("index of %s: %w", entry.URL, err)
	}
	cv, err := index.Get(c.name, want.version)
	if err != nil {
		return pulled{}, badChart("%v in %s", err, entry.URL)
	}
	if p, ok := f.cache.lookup(source, cv.Version, ""); ok && (cv.Digest == "" || "sha256:"+cv.Digest == p.archive) {
		return p, nil
	}
	if len(cv.URLs) == 0 {
		return pulled{}, badChart("version %s has no download URL in %s", cv.Version, entry.URL)
	}
	chartURL, err := helmrepo.ResolveReferenceURL(entry.URL, cv.URLs[0])
	if err != nil {
		return pulled{}, err
	}
	data, err := f.download(entry, chartURL, tmp, getters)
	if err != nil {
		return pulled{}, err
	}
	if cv.Digest != "" && "sha256:"+cv.Digest != archiveDigest(data) {
		return pulled{}, badChart("%s is not the archive the index lists (digest %s, index says sha256:%s)", chartURL, archiveDigest(data), cv.Digest)
	}
	return f.keep(source, cv.Version, "", data)
}

// download gets one archive. Credentials go only to the repository's own
// host unless the repository was added with --pass-credentials, as Helm
// does.
func (f fetcher) download(entry *helmrepo.Entry, chartURL, dir string, getters getter.Providers) ([]byte, error) {
	dl := downloader.ChartDownloader{
		Out:             io.Discard,
		Verify:          downloader.VerifyNever,
		Getters:         getters,
		RepositoryCache: f.settings.RepositoryCache,
		// Credentials come from the entry below; the repositories file is
		// not scanned again for the URL.
		RepositoryConfig: "",
	}
	if entry.CertFile != "" || entry.KeyFile != "" || entry.CAFile != "" {
		dl.Options = append(dl.Options, getter.WithTLSClientConfig(entry.CertFile, entry.KeyFile, entry.CAFile))
	}
	dl.Options = append(dl.Options, getter.WithInsecureSkipVerifyTLS(entry.InsecureSkipTLSverify))
	if entry.Username != "" && (entry.PassCredentialsAll || sameHost(entry.URL, chartURL)) {
		dl.Options = append(dl.Options, getter.WithBasicAuth(entry.Username, entry.Password), getter.WithPassCredentialsAll(true))
	}
	path, _, err := dl.DownloadTo(chartURL, "", dir)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", chartURL, err)
	}
	return os.ReadFile(path)
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && ua.Host == ub.Host
}

// fromRegistry resolves the version among the repository's tags (unless
// it is exact) and pulls it with Helm's registry client — by digest when
// promoting, so the target gets exactly what upstream ran.
func (f fetcher) fromRegistry(c *remoteChart, source string, want chartWant) (pulled, error) {
	client, err := f.registryClient(c.plainHTTP)
	if err != nil {
		return pulled{}, err
	}
	ref := strings.TrimPrefix(c.name, pipeline.OCIScheme)
	pullRef := ref + "@" + want.digest
	if want.digest == "" {
		tag := want.version
		if !isExact(tag) {
			tags, err := client.Tags(ref)
			if err != nil {
				return pulled{}, err
			}
			if tag, err = registry.GetTagMatchingVersionOrConstraint(tags, want.version); err != nil {
				return pulled{}, badChart("%v (tags: %s)", err, strings.Join(tags, ", "))
			}
			if p, ok := f.cache.lookup(source, tag, ""); ok {
				return p, nil
			}
		}
		pullRef = ref + ":" + tag
	}
	res, err := client.Pull(pullRef)
	if err != nil {
		return pulled{}, err
	}
	version := res.Chart.Meta.Version
	if want.version != "" && want.digest != "" && version != want.version {
		return pulled{}, badChart("%s holds version %s, not %s", pullRef, version, want.version)
	}
	return f.keep(source, version, res.Manifest.Digest, res.Chart.Data)
}

// keep stores an archive in the cache, refusing one larger than any input
// file may be.
func (f fetcher) keep(source, version, digest string, data []byte) (pulled, error) {
	if int64(len(data)) > f.maxArchive {
		return pulled{}, badChart("the archive of version %s is %d bytes, larger than the %d MiB limit of an input file", version, len(data), f.maxArchive>>20)
	}
	return f.cache.store(source, version, digest, data)
}

// registryClient is Helm's registry client with the credentials of `helm
// registry login` (and Docker's, as Helm falls back to them).
func (f fetcher) registryClient(plainHTTP bool) (*registry.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	opts := []registry.ClientOption{
		registry.ClientOptCredentialsFile(f.settings.RegistryConfig),
		registry.ClientOptHTTPClient(&http.Client{Transport: transport, Timeout: f.timeout}),
		registry.ClientOptEnableCache(true),
		registry.ClientOptWriter(io.Discard),
	}
	if plainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	return registry.NewClient(opts...)
}
