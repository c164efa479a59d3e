package localcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// Options configures a cluster.
type Options struct {
	// Name names the cluster, its kubeconfig context and entries.
	// Default: a unique "lc-" name.
	Name string
	// Nodes is the number of fake nodes. Default 3.
	Nodes int
	// Dir is the state directory: PKI, kubeconfig, etcd data, logs and PID
	// files. Start defaults it to t.TempDir(), Up to
	// .cache/localcluster/clusters/<Name>.
	Dir string
	// StartTimeout bounds the start-up once the binary is built. Default
	// $LOCALCLUSTER_START_TIMEOUT (a Go duration), else 2 minutes.
	StartTimeout time.Duration
	// Detach lets the processes outlive the caller, as the localcluster
	// command needs. By default they are killed when the caller dies.
	Detach bool
	// Progress receives build and start-up messages. Default os.Stderr.
	Progress io.Writer
}

func (o Options) withDefaults() (Options, error) {
	if o.Name == "" {
		o.Name = "lc-" + randomSuffix()
	}
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	if o.Dir == "" {
		dir, err := clusterDir(o.Name)
		if err != nil {
			return o, err
		}
		o.Dir = dir
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("cluster %s: %w", o.Name, err)
	}
	o.Dir = dir
	if o.StartTimeout <= 0 {
		o.StartTimeout = envDuration("LOCALCLUSTER_START_TIMEOUT", 2*time.Minute)
	}
	if o.Progress == nil {
		o.Progress = os.Stderr
	}
	return o, nil
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// clusterDir is where Up keeps the state of a named cluster by default.
func clusterDir(name string) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "clusters", name), nil
}

// Cluster is one running local control plane.
type Cluster struct {
	// Name is the cluster's name; the kubeconfig's cluster entry has it too.
	Name string
	// Kubeconfig is the path of an admin (system:masters) kubeconfig whose
	// only context is Context.
	Kubeconfig string
	// Context is the kubeconfig context of this cluster; equal to Name.
	Context string
	// Server is the apiserver URL, https://127.0.0.1:<port>.
	Server string
	// Dir is the state directory.
	Dir string
	// Nodes is the number of fake nodes.
	Nodes int
	// BootTime is how long the last Up took from launching etcd until every
	// node was Ready (the binary already built).
	BootTime time.Duration

	phases []string

	bin   string
	pki   *pki
	ports ports
	opts  Options
	// base carries the values of Up's context to the fault hooks, whose
	// signatures (fixed for the tests that call them) take none.
	base context.Context

	mu    sync.Mutex
	procs map[string]*process
}

// state is what cluster.json records, so another process (the localcluster
// command) can find and stop a cluster.
type state struct {
	Name     string `json:"name"`
	Server   string `json:"server"`
	Nodes    int    `json:"nodes"`
	Ports    ports  `json:"ports"`
	Binary   string `json:"binary"`
	Detached bool   `json:"detached"`
}

const stateFile = "cluster.json"

// Up builds the components binary if needed, then starts etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok, creates
// the fake nodes and returns once they are Ready and the default
// ServiceAccount exists. On failure it stops whatever it started and the
// error carries the end of the failing component's log.
func Up(ctx context.Context, opts Options) (*Cluster, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	bin, err := EnsureBinary(ctx, opts.Progress)
	if err != nil {
		return nil, err
	}
	if err := claimDir(opts.Dir); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", opts.Name, err)
	}
	var c *Cluster
	for attempt := 1; ; attempt++ {
		c, err = prepare(ctx, opts, bin)
		if err != nil {
			return nil, err
		}
		err = c.boot(ctx)
		if err == nil {
			return c, nil
		}
		stopErr := c.stopAll(context.WithoutCancel(ctx))
		// Free ports are picked before the processes bind them; another
		// cluster starting at the same moment may win one. Retry once.
		if attempt == 1 && strings.Contains(err.Error(), "address already in use") && ctx.Err() == nil {
			fmt.Fprintf(opts.Progress, "localcluster: %s: port taken, retrying with new ports\n", opts.Name)
			continue
		}
		return nil, fmt.Errorf("cluster %s (state in %s): %w", opts.Name, opts.Dir, errors.Join(err, stopErr))
	}
}

// claimDir makes dir ready for a new cluster. A directory left by a
// stopped cluster is wiped; one whose cluster still runs is refused.
func claimDir(dir string) error {
	if fileExists(filepath.Join(dir, stateFile)) {
		for _, name := range components {
			if findProcess(dir, name) != nil {
				return fmt.Errorf("a cluster is already running in %s; stop it first (localcluster down)", dir)
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	for _, sub := range []string{"logs", "run", "etcd"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return err
		}
	}
	return nil
}

// prepare writes PKI, kubeconfig, kwok config and state for a cluster on
// fresh ports.
func prepare(ctx context.Context, opts Options, bin string) (*Cluster, error) {
	p, err := freePorts()
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", opts.Name, err)
	}
	c := &Cluster{
		Name: opts.Name, Context: opts.Name, Dir: opts.Dir, Nodes: opts.Nodes,
		Kubeconfig: filepath.Join(opts.Dir, "kubeconfig"),
		Server:     fmt.Sprintf("https://127.0.0.1:%d", p.APIServer),
		bin:        bin, ports: p, opts: opts,
		base:  context.WithoutCancel(ctx),
		procs: map[string]*process{},
	}
	if err := os.RemoveAll(filepath.Join(c.Dir, "etcd")); err != nil { // a retry starts clean
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	if c.pki, err = newPKI(filepath.Join(c.Dir, "pki")); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	if err := c.writeAdminKubeconfig(); err != nil {
		return nil, err
	}
	if err := c.writeKwokConfig(); err != nil {
		return nil, err
	}
	return c, c.saveState()
}

// freePorts asks the kernel for four free loopback ports, holding them all
// until the last is picked so they differ.
func freePorts() (ports, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	nums := make([]int, 4)
	for i := range nums {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("pick a free port: %w", err)
		}
		ls = append(ls, l)
		nums[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports{EtcdClient: nums[0], EtcdPeer: nums[1], APIServer: nums[2], Kwok: nums[3]}, nil
}

func (c *Cluster) saveState() error {
	data, err := json.MarshalIndent(state{
		Name: c.Name, Server: c.Server, Nodes: c.Nodes, Ports: c.ports, Binary: c.bin, Detached: c.opts.Detach,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	if err := os.WriteFile(filepath.Join(c.Dir, stateFile), data, 0o644); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return nil
}

// Open returns a handle on a cluster started earlier, possibly by another
// process: dirOrName is its state directory or the name `localcluster up`
// gave it.
func Open(dirOrName string) (*Cluster, error) {
	dir, err := resolveDir(dirOrName)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("cluster %s: none in %s (localcluster status lists the clusters)", dirOrName, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", dirOrName, err)
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("cluster %s: %s: %w", dirOrName, stateFile, err)
	}
	p, err := loadPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", dirOrName, err)
	}
	opts, err := Options{Name: s.Name, Nodes: s.Nodes, Dir: dir, Detach: s.Detached}.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Name: s.Name, Context: s.Name, Dir: dir, Nodes: s.Nodes, Server: s.Server,
		Kubeconfig: filepath.Join(dir, "kubeconfig"),
		bin:        s.Binary, pki: p, ports: s.Ports, opts: opts, procs: map[string]*process{},
	}
	for _, name := range components {
		if proc := findProcess(dir, name); proc != nil {
			c.procs[name] = proc
		}
	}
	return c, nil
}

func resolveDir(dirOrName string) (string, error) {
	if strings.ContainsRune(dirOrName, filepath.Separator) || fileExists(filepath.Join(dirOrName, stateFile)) {
		return filepath.Abs(dirOrName)
	}
	return clusterDir(dirOrName)
}

// Down stops the cluster whose state directory (or `up` name) is dirOrName
// — only the processes named by its PID files — and removes its state.
func Down(ctx context.Context, dirOrName string) error {
	dir, err := resolveDir(dirOrName)
	if err != nil {
		return err
	}
	if !fileExists(filepath.Join(dir, stateFile)) {
		return fmt.Errorf("cluster %s: no %s in %s", dirOrName, stateFile, dir)
	}
	c, err := Open(dir)
	if err != nil {
		// Broken state: still stop whatever the PID files name.
		c = &Cluster{Name: dirOrName, Dir: dir, procs: map[string]*process{}}
		for _, name := range components {
			if proc := findProcess(dir, name); proc != nil {
				c.procs[name] = proc
			}
		}
	}
	return c.Stop(ctx)
}

// Stop stops every process of the cluster and removes its state directory,
// unless $LOCALCLUSTER_KEEP is set: then the logs stay for a post-mortem.
func (c *Cluster) Stop(ctx context.Context) error {
	if err := c.stopAll(ctx); err != nil {
		return err
	}
	if os.Getenv("LOCALCLUSTER_KEEP") != "" {
		if c.opts.Progress != nil {
			fmt.Fprintf(c.opts.Progress, "localcluster: %s stopped; state and logs kept in %s\n", c.Name, c.Dir)
		}
		return nil
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return nil
}

// stopAll kills the components in parallel: the state is thrown away, so
// their order does not matter.
func (c *Cluster) stopAll(ctx context.Context) error {
	c.mu.Lock()
	procs := make([]*process, 0, len(c.procs))
	for _, name := range components {
		if p := c.procs[name]; p != nil {
			procs = append(procs, p)
		} else if p := findProcess(c.Dir, name); p != nil {
			procs = append(procs, p)
		}
	}
	c.mu.Unlock()
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { errs[i] = p.stop(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// RESTConfig returns a client config for the cluster's admin
// (system:masters), with rate limits raised for tests that create many
// objects.
func (c *Cluster) RESTConfig() *rest.Config {
	ca, _ := c.pki.read(caCertFile)
	cert, _ := c.pki.read(adminCertFile)
	key, _ := c.pki.read(adminKeyFile)
	return &rest.Config{
		Host:            c.Server,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca, CertData: cert, KeyData: key},
		QPS:             200,
		Burst:           400,
		Timeout:         30 * time.Second,
	}
}

func (c *Cluster) writeAdminKubeconfig() error {
	ca, err := c.pki.read(caCertFile)
	if err != nil {
		return err
	}
	cert, err := c.pki.read(adminCertFile)
	if err != nil {
		return err
	}
	key, err := c.pki.read(adminKeyFile)
	if err != nil {
		return err
	}
	return writeKubeconfig(c.Kubeconfig, kubeconfig(c.Context, c.Server, ca, cert, key, "admin"))
}

// WriteUserKubeconfig writes to path a kubeconfig for a client-certificate
// user in groups, with the context c.Context. The user has no rights until
// RBAC grants some, which makes it the identity for permission tests.
func (c *Cluster) WriteUserKubeconfig(path, user string, groups ...string) error {
	certPEM, keyPEM, err := c.pki.clientCert(user, groups)
	if err != nil {
		return fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	ca, err := c.pki.read(caCertFile)
	if err != nil {
		return err
	}
	return writeKubeconfig(path, kubeconfig(c.Context, c.Server, ca, certPEM, keyPEM, user))
}

// LogPath returns the log file of a component: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler or kwok.
func (c *Cluster) LogPath(component string) string { return logPath(c.Dir, component) }

// PIDs returns the process IDs of the running components by name.
func (c *Cluster) PIDs() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for name, p := range c.procs {
		if p.running() {
			out[name] = p.pid
		}
	}
	return out
}

// Ports returns every TCP port the cluster listens on.
func (c *Cluster) Ports() []int { return c.ports.all() }

// logTail returns the last n lines of a component's log.
func (c *Cluster) logTail(component string, n int) string {
	data, err := os.ReadFile(c.LogPath(component))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
