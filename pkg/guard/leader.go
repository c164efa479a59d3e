package guard

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Election defaults, client-go's usual ones.
const (
	DefaultElectionLease = 15 * time.Second
	DefaultElectionRenew = 10 * time.Second
	DefaultElectionRetry = 2 * time.Second
)

// Election elects one leader among guard replicas with client-go's leader
// election on a Lease. It only decides who guards: what keeps two guards
// from undoing one release twice is the environment's own lock and the
// record check under it, so a leader that lost the Lease a moment late is
// still harmless.
type Election struct {
	Client    kubernetes.Interface
	Namespace string
	// Name is the Lease's name (see LeaseName).
	Name string
	// Identity is this replica's, unique among them.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's; zero
	// values take the defaults above.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// OnLeading is told when this replica starts or stops leading.
	OnLeading func(leading bool)
}

// LeaseName is the leader Lease of the guards of pipeline.
func LeaseName(pipeline string) string { return "promote-" + pipeline + "-guard" }

// Lead runs work while this replica leads; after losing the lead it waits
// for work to return and campaigns again, until ctx ends.
func (e Election) Lead(ctx context.Context, work func(ctx context.Context)) error {
	cfg, err := e.config(work)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(cfg.LeaderElectionConfig)
		if err != nil {
			return fmt.Errorf("leader election on Lease/%s/%s: %w", e.Namespace, e.Name, err)
		}
		le.Run(ctx)
		cfg.wg.Wait()
	}
	return nil
}

type electionConfig struct {
	leaderelection.LeaderElectionConfig
	wg *sync.WaitGroup
}

func (e Election) config(work func(ctx context.Context)) (electionConfig, error) {
	lease := or(e.LeaseDuration, DefaultElectionLease)
	renew := or(e.RenewDeadline, min(DefaultElectionRenew, lease*2/3))
	retry := or(e.RetryPeriod, min(DefaultElectionRetry, renew/2))
	on := e.OnLeading
	if on == nil {
		on = func(bool) {}
	}
	wg := &sync.WaitGroup{}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: e.Namespace, Name: e.Name},
		Client:     e.Client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.Identity},
	}
	return electionConfig{wg: wg, LeaderElectionConfig: leaderelection.LeaderElectionConfig{
		Lock: lock, Name: e.Name, ReleaseOnCancel: true,
		LeaseDuration: lease, RenewDeadline: renew, RetryPeriod: retry,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				wg.Add(1)
				defer wg.Done()
				on(true)
				defer on(false)
				work(ctx)
			},
			OnStoppedLeading: func() {},
		},
	}}, nil
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
