package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	apiwatch "k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// resync re-delivers cached objects to the handlers now and then, so a
// missed notification cannot stall the watch. It is not a re-list.
const resync = 30 * time.Second

const ownerIndex = "owner"

// ref is one watched object.
type ref struct {
	id        string
	gk        schema.GroupKind
	gvr       schema.GroupVersionResource
	namespace string
	name      string
}

var errNoNamespace = errors.New("namespaced object without a namespace")

// refsOf maps the applied objects to resources, once each.
func refsOf(mapper meta.RESTMapper, objs []*unstructured.Unstructured) ([]ref, error) {
	seen := map[string]bool{}
	var refs []ref
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		id := objectID(gvk.Kind, u.GetNamespace(), u.GetName())
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		ns := u.GetNamespace()
		if m.Scope.Name() != meta.RESTScopeNameNamespace {
			ns = ""
		} else if ns == "" {
			return nil, fmt.Errorf("%s: %w", id, errNoNamespace)
		}
		r := ref{id: objectID(gvk.Kind, ns, u.GetName()), gk: gvk.GroupKind(), gvr: m.Resource, namespace: ns, name: u.GetName()}
		if !seen[r.id] {
			seen[r.id] = true
			refs = append(refs, r)
		}
	}
	return refs, nil
}

type cacheKey struct {
	gvr       schema.GroupVersionResource
	namespace string
}

// caches are the informers of one watch: the watched objects by resource
// and namespace (narrowed to the name when there is one), and per namespace
// the pods, ReplicaSets and ControllerRevisions their revisions need.
type caches struct {
	objects     map[cacheKey]cache.SharedIndexInformer
	pods        map[string]cache.SharedIndexInformer
	replicaSets map[string]cache.SharedIndexInformer
	revisions   map[string]cache.SharedIndexInformer
	all         []cache.SharedIndexInformer
	conn        *connState
}

// hooks are what the informers call back into.
type hooks struct {
	facts  *factStore
	notify func()
	now    func() time.Time
	conn   *connState
}

// startCaches starts every informer the refs need; they stop with ctx and
// wg waits for them.
func startCaches(ctx context.Context, wg *sync.WaitGroup, c *kube.Clients, refs []ref, h hooks) (*caches, error) {
	cs := &caches{
		objects: map[cacheKey]cache.SharedIndexInformer{}, pods: map[string]cache.SharedIndexInformer{},
		replicaSets: map[string]cache.SharedIndexInformer{}, revisions: map[string]cache.SharedIndexInformer{},
		conn: h.conn,
	}
	names := map[cacheKey][]string{}
	var keys []cacheKey
	for _, r := range refs {
		k := cacheKey{r.gvr, r.namespace}
		if names[k] == nil {
			keys = append(keys, k)
		}
		names[k] = append(names[k], r.name)
		cs.addPodCaches(c, r, h)
	}
	for _, k := range keys {
		desc := k.gvr.Resource
		if k.namespace != "" {
			desc += " in " + k.namespace
		}
		lw := dynamicListWatch(c, k, names[k])
		inf, err := newInformer(h.conn.wrap(desc, lw), &unstructured.Unstructured{}, desc, h, notifyHandler(h))
		if err != nil {
			return nil, err
		}
		cs.objects[k] = inf
		cs.all = append(cs.all, inf)
	}
	synced := make([]cache.InformerSynced, 0, len(cs.all))
	for _, inf := range cs.all {
		wg.Go(func() { inf.RunWithContext(ctx) })
		synced = append(synced, inf.HasSynced)
	}
	// An empty list syncs without any event to wake the loop.
	wg.Go(func() {
		if cache.WaitForCacheSync(ctx.Done(), synced...) {
			h.notify()
		}
	})
	return cs, nil
}

// addPodCaches adds the pod, ReplicaSet and ControllerRevision informers
// r's kind needs in r's namespace.
func (cs *caches) addPodCaches(c *kube.Clients, r ref, h hooks) {
	if !hasPods(r.gk) {
		return
	}
	ns := r.namespace
	add := func(m map[string]cache.SharedIndexInformer, resource string, lw *cache.ListWatch, example runtime.Object, handler cache.ResourceEventHandler) {
		if m[ns] != nil {
			return
		}
		desc := resource + " in " + ns
		inf, err := newInformer(h.conn.wrap(desc, lw), example, desc, h, handler)
		if err == nil { // errors only come from an informer already started
			m[ns] = inf
			cs.all = append(cs.all, inf)
		}
	}
	core, apps := c.Typed.CoreV1(), c.Typed.AppsV1()
	add(cs.pods, "pods", &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return core.Pods(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (apiwatch.Interface, error) {
			return core.Pods(ns).Watch(ctx, o)
		},
	}, &corev1.Pod{}, podHandler(h))
	if r.gk == gkDeployment {
		add(cs.replicaSets, "replicasets", &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return apps.ReplicaSets(ns).List(ctx, o)
			},
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (apiwatch.Interface, error) {
				return apps.ReplicaSets(ns).Watch(ctx, o)
			},
		}, &appsv1.ReplicaSet{}, notifyHandler(h))
	}
	if r.gk == gkDaemonSet {
		add(cs.revisions, "controllerrevisions", &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				return apps.ControllerRevisions(ns).List(ctx, o)
			},
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (apiwatch.Interface, error) {
				return apps.ControllerRevisions(ns).Watch(ctx, o)
			},
		}, &appsv1.ControllerRevision{}, notifyHandler(h))
	}
}

func dynamicListWatch(c *kube.Clients, k cacheKey, names []string) *cache.ListWatch {
	ri := c.Dynamic.Resource(k.gvr).Namespace(k.namespace)
	narrow := func(o *metav1.ListOptions) {
		if len(names) == 1 {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", names[0]).String()
		}
	}
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			narrow(&o)
			return ri.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (apiwatch.Interface, error) {
			narrow(&o)
			return ri.Watch(ctx, o)
		},
	}
}

func newInformer(lw cache.ListerWatcher, example runtime.Object, desc string, h hooks, handler cache.ResourceEventHandler) (cache.SharedIndexInformer, error) {
	inf := cache.NewSharedIndexInformerWithOptions(lw, example, cache.SharedIndexInformerOptions{
		ResyncPeriod:      resync,
		Indexers:          cache.Indexers{ownerIndex: byController},
		ObjectDescription: desc,
	})
	if err := inf.SetTransform(stripManagedFields); err != nil {
		return nil, err
	}
	// Replaces client-go's default, which logs: a lost watch is reported
	// as an event, and the informer retries with back-off by itself.
	if err := inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, _ *cache.Reflector, err error) {
		if ctx.Err() == nil {
			h.conn.failed(desc, err)
		}
	}); err != nil {
		return nil, err
	}
	if _, err := inf.AddEventHandler(handler); err != nil {
		return nil, err
	}
	return inf, nil
}

func notifyHandler(h hooks) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { h.notify() },
		UpdateFunc: func(any, any) { h.notify() },
		DeleteFunc: func(any) { h.notify() },
	}
}

// podHandler records every pod status as it arrives (see factStore).
func podHandler(h hooks) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if p, ok := obj.(*corev1.Pod); ok {
				h.facts.observe(p, initial, h.now())
			}
			h.notify()
		},
		UpdateFunc: func(_, obj any) {
			if p, ok := obj.(*corev1.Pod); ok {
				h.facts.observe(p, false, h.now())
			}
			h.notify()
		},
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				h.facts.forget(p.UID)
			}
			h.notify()
		},
	}
}

// byController indexes objects by the UID of their controller.
func byController(obj any) ([]string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil
	}
	if ref := metav1.GetControllerOfNoCopy(m); ref != nil {
		return []string{string(ref.UID)}, nil
	}
	return nil, nil
}

// stripManagedFields keeps the caches small; nothing here reads them.
func stripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// notSynced is empty when every informer has listed and none has lost its
// watch; else it says what is missing.
func (cs *caches) notSynced() string {
	if p := cs.conn.problem(); p != "" {
		return p
	}
	for _, inf := range cs.all {
		if !inf.HasSynced() {
			return "waiting for the first list"
		}
	}
	return ""
}

func (cs *caches) object(r ref) (*unstructured.Unstructured, bool) {
	inf := cs.objects[cacheKey{r.gvr, r.namespace}]
	if inf == nil {
		return nil, false
	}
	key := r.name
	if r.namespace != "" {
		key = r.namespace + "/" + r.name
	}
	obj, ok, err := inf.GetStore().GetByKey(key)
	if err != nil || !ok {
		return nil, false
	}
	u, ok := obj.(*unstructured.Unstructured)
	return u, ok
}

func (cs *caches) pod(namespace, name string) (*corev1.Pod, bool) {
	inf := cs.pods[namespace]
	if inf == nil {
		return nil, false
	}
	obj, ok, err := inf.GetStore().GetByKey(namespace + "/" + name)
	if err != nil || !ok {
		return nil, false
	}
	p, ok := obj.(*corev1.Pod)
	return p, ok
}

func (cs *caches) podsOwnedBy(namespace string, owner types.UID) []*corev1.Pod {
	return owned[*corev1.Pod](cs.pods[namespace], owner)
}

func (cs *caches) replicaSetsOwnedBy(namespace string, owner types.UID) []*appsv1.ReplicaSet {
	return owned[*appsv1.ReplicaSet](cs.replicaSets[namespace], owner)
}

func (cs *caches) revisionsOwnedBy(namespace string, owner types.UID) []*appsv1.ControllerRevision {
	return owned[*appsv1.ControllerRevision](cs.revisions[namespace], owner)
}

func owned[T any](inf cache.SharedIndexInformer, owner types.UID) []T {
	if inf == nil {
		return nil
	}
	objs, err := inf.GetIndexer().ByIndex(ownerIndex, string(owner))
	if err != nil {
		return nil
	}
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// connState follows the informers' connections to the apiserver. A lost
// watch is no failure (the informer re-lists and re-watches with
// back-off); it is reported once as an info event, and so is its return.
// While any watch is lost the caches may be stale, so the watch declares
// nothing complete.
type connState struct {
	mu     sync.Mutex
	lost   map[string]error
	emit   func(Event)
	now    func() time.Time
	notify func()
}

func newConnState(emit func(Event), now func() time.Time, notify func()) *connState {
	return &connState{lost: map[string]error{}, emit: emit, now: now, notify: notify}
}

func (s *connState) failed(desc string, err error) {
	// A closed or expired watch is routine: the reflector re-lists.
	if err == nil || errors.Is(err, io.EOF) || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lost) == 0 {
		s.emit(Event{Time: s.now(), Type: EventInfo, Message: fmt.Sprintf("lost the watch of %s: %v; retrying", desc, err)})
	}
	s.lost[desc] = err
}

func (s *connState) restored(desc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.lost[desc]; !ok {
		return
	}
	delete(s.lost, desc)
	if len(s.lost) == 0 {
		s.emit(Event{Time: s.now(), Type: EventInfo, Message: "watch restored"})
		s.notify()
	}
}

func (s *connState) problem() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lost) == 0 {
		return ""
	}
	descs := make([]string, 0, len(s.lost))
	for d := range s.lost {
		descs = append(descs, d)
	}
	sort.Strings(descs)
	return fmt.Sprintf("lost the watch of %s: %v", strings.Join(descs, ", "), s.lost[descs[0]])
}

// wrap reports every failed list or watch call of desc as lost and every
// successful one as restored. The informer's error handler alone would not
// see them all: a reflector retries a refused watch silently.
func (s *connState) wrap(desc string, lw *cache.ListWatch) *cache.ListWatch {
	list, watch := lw.ListWithContextFunc, lw.WatchFuncWithContext
	report := func(ctx context.Context, err error) {
		switch {
		case ctx.Err() != nil: // the watch is ending
		case err != nil:
			s.failed(desc, err)
		default:
			s.restored(desc)
		}
	}
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			obj, err := list(ctx, o)
			report(ctx, err)
			return obj, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (apiwatch.Interface, error) {
			w, err := watch(ctx, o)
			report(ctx, err)
			return w, err
		},
	}
}
