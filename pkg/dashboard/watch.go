package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
)

// watched are the resources whose changes refresh an environment: release
// records (Secrets), rollout state (ConfigMaps), the lock (Leases) and the
// workloads with their pods. Metadata informers hold no Secret data.
var watched = []schema.GroupVersionResource{
	{Version: "v1", Resource: "secrets"},
	{Version: "v1", Resource: "configmaps"},
	{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"},
	{Group: "apps", Version: "v1", Resource: "deployments"},
	{Group: "apps", Version: "v1", Resource: "replicasets"},
	{Version: "v1", Resource: "pods"},
}

// watchAll starts one metadata informer factory per cluster and namespace,
// shared by the environments that live there.
func (s *Server) watchAll(ctx context.Context) {
	type key struct {
		clients   any
		namespace string
	}
	groups := map[key][]string{}
	firsts := map[key]*Environment{}
	for _, e := range s.opts.Environments {
		if e.Clients == nil {
			continue
		}
		k := key{e.Clients, e.Namespace}
		groups[k] = append(groups[k], e.Env.Name)
		firsts[k] = &e
	}
	for k, names := range groups {
		if err := s.watchNamespace(ctx, firsts[k], names); err != nil {
			s.logf("watch %s: %v", k.namespace, err)
		}
	}
}

func (s *Server) watchNamespace(ctx context.Context, e *Environment, names []string) error {
	client, err := metadata.NewForConfig(e.Clients.Config)
	if err != nil {
		return err
	}
	f := metadatainformer.NewFilteredSharedInformerFactory(client, 0, e.Namespace, nil)
	mark := func(any) { s.markAll(names) }
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    mark,
		UpdateFunc: func(_, n any) { mark(n) },
		DeleteFunc: mark,
	}
	for _, gvr := range watched {
		inf := f.ForResource(gvr).Informer()
		res := gvr.Resource
		var logged sync.Once // the reflector retries with backoff: say it once
		_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			logged.Do(func() { s.logf("watch %s in %s: %v (retrying)", res, e.Namespace, err) })
		})
		if _, err := inf.AddEventHandler(handler); err != nil {
			return fmt.Errorf("watch %s: %w", res, err)
		}
	}
	f.Start(ctx.Done())
	return nil
}

// markAll asks for a refresh of names.
func (s *Server) markAll(names []string) {
	for _, n := range names {
		s.mark(n)
	}
}

func (s *Server) mark(name string) {
	select {
	case s.dirty[name] <- struct{}{}:
	default:
	}
}

// refreshLoop refreshes name after each burst of changes and every Resync.
func (s *Server) refreshLoop(ctx context.Context, name string) {
	s.refresh(ctx, name)
	tick := time.NewTicker(s.opts.Resync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.dirty[name]:
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.opts.Debounce):
			}
			select {
			case <-s.dirty[name]:
			default:
			}
		}
		s.refresh(ctx, name)
	}
}

// refresh reads one environment again and publishes its view if it changed.
func (s *Server) refresh(ctx context.Context, name string) {
	e := s.envs[name]
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v := s.readView(ctx, e)
	s.mu.Lock()
	old := s.views[name]
	link(v, s.views[e.Env.From], time.Duration(e.Env.Gates.Soak), time.Now())
	s.views[name] = v
	s.mu.Unlock()
	if !sameView(old, v) {
		s.hub.publish(EventEnvironment, v)
		s.markDownstream(name)
	}
}

// markDownstream asks for a refresh of the environments promoted from
// name: whether they have something to promote and their soak left are
// read from name's view, so only once it is in.
func (s *Server) markDownstream(name string) {
	for _, e := range s.opts.Environments {
		if e.Env.From == name {
			s.mark(e.Env.Name)
		}
	}
}

// sameView compares two views but for their read time.
func sameView(a, b *EnvView) bool {
	if a == nil || b == nil {
		return false
	}
	x, y := *a, *b
	x.Updated, y.Updated = time.Time{}, time.Time{}
	ja, err1 := json.Marshal(x)
	jb, err2 := json.Marshal(y)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// snapshot returns every environment's view in pipeline order.
func (s *Server) snapshot() []*EnvView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*EnvView, 0, len(s.opts.Environments))
	for _, e := range s.opts.Environments {
		if v := s.views[e.Env.Name]; v != nil {
			out = append(out, v)
		}
	}
	return out
}
