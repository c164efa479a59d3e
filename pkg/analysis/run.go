package analysis

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// DefaultConsecutiveErrorLimit is Argo Rollouts' default: a check errs
// after five measurement errors in a row.
const DefaultConsecutiveErrorLimit = 4

// Clients are what the providers reach: the cluster (job checks, Secrets
// for web headers and Prometheus credentials, Prometheus through the
// service proxy) and HTTP (prometheus and web checks at an address).
type Clients struct {
	Kube kubernetes.Interface
	// Config is the kubeconfig's client configuration, for the service
	// proxy; nil when no check names a Service.
	Config *rest.Config
	// HTTP is nil for a default client.
	HTTP *http.Client
}

// Clock lets tests run analyses without waiting for real intervals.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns the current time.
func (RealClock) Now() time.Time { return time.Now() }

// After waits for d on the wall clock.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Run measures every check of a (all at once, as Argo runs metrics) and
// returns their verdicts. A check that fails or errs stops the others. The
// error is for an analysis that could not run (a missing Secret, a bad job
// spec) or whose context ended; the verdict itself is in Result.Phase and
// Result.Err.
func Run(ctx context.Context, a *pipeline.Analysis, vars Vars, clients Clients, clock Clock) (*Result, error) {
	if clock == nil {
		clock = RealClock{}
	}
	provs := make([]provider, len(a.Checks))
	for i, c := range a.Checks {
		p, err := newProvider(ctx, c, vars, clients)
		if err != nil {
			return nil, fmt.Errorf("analysis check %s: %w", c.Name, err)
		}
		provs[i] = p
	}
	return runChecks(ctx, a, provs, clock)
}

// runChecks measures each check of a with its provider in provs.
func runChecks(ctx context.Context, a *pipeline.Analysis, provs []provider, clock Clock) (*Result, error) {
	res := &Result{Phase: Successful, Started: clock.Now(), Checks: make([]CheckResult, len(a.Checks))}
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for i, c := range a.Checks {
		wg.Go(func() {
			r := &checkRun{spec: c, prov: provs[i], clock: clock}
			res.Checks[i] = r.run(cctx)
			if p := res.Checks[i].Phase; p == Failed || p == Error {
				stop()
			}
		})
	}
	wg.Wait()
	res.Finished = clock.Now()
	res.summarise()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// summarise sets the overall phase and message from the checks.
func (r *Result) summarise() {
	var msgs []string
	for _, c := range r.Checks {
		r.Phase = worse(r.Phase, c.Phase)
	}
	for _, c := range r.Checks {
		if c.Phase == r.Phase {
			msgs = append(msgs, c.Message)
		}
	}
	r.Message = strings.Join(msgs, "; ")
}
