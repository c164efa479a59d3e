package rollout

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// ApplyOptions tune a staged server-side apply.
type ApplyOptions struct {
	// FieldManager owns every field we write.
	FieldManager string
	// Force takes over fields owned by other managers (used by undo).
	Force bool
	// Labels are added to every object (owner labels). With the pipeline
	// and environment labels, objects whose managed fields prove the
	// apply a no-op are not sent (see diff.ProvenUnchanged).
	Labels map[string]string
	// Concurrency bounds the objects of one stage applied at once.
	Concurrency int
	// CRDTimeout bounds the wait for applied CRDs to become Established.
	CRDTimeout time.Duration
	// Poll is the interval of the CRD wait.
	Poll time.Duration
}

// DefaultApplyOptions returns the options of an ordinary apply.
func DefaultApplyOptions() ApplyOptions {
	return ApplyOptions{FieldManager: kube.FieldManager, Concurrency: diff.DefaultConcurrency,
		CRDTimeout: time.Minute, Poll: 200 * time.Millisecond}
}

// manager returns the diff.Manager that applies for o; secrets are the
// objects whose Secret values its errors must not quote.
func (o ApplyOptions) manager(c *kube.Clients, secrets []*unstructured.Unstructured) *diff.Manager {
	return diff.NewManager(c, diff.ApplyOptions{
		FieldManager: o.FieldManager, Force: o.Force, Concurrency: o.Concurrency, Secrets: secrets,
		Owner: diff.Owner{Pipeline: o.Labels[kube.LabelPipeline], Environment: o.Labels[kube.LabelEnvironment]},
	})
}

// Apply server-side applies objs in stages, as Flux's ApplyAllStaged:
// Namespaces and CRDs first, then waits for the CRDs to be Established so
// the mapper finds their kinds; then what pods need when they start
// (ServiceAccounts, RBAC, ConfigMaps, Secrets, volumes, Services); then
// the workloads and everything else; admission webhooks and API services
// last, so that they intercept nothing of this release. The objects of
// one stage go at most o.Concurrency at a time; of two versions of one
// object only the last is sent, as it is the one a sequential apply would
// leave. It stops after the first error, which names the object, and
// returns what was applied, stage by stage.
func Apply(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, o ApplyOptions) ([]*unstructured.Unstructured, error) {
	objs = withLabelsAll(lastOfEach(objs), o.Labels)
	m := o.manager(c, objs)
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, stage := range stages(objs) {
		applied, err := m.ApplyAll(ctx, stage)
		for _, u := range applied {
			if u != nil {
				out = append(out, u)
			}
		}
		if err != nil {
			return out, err
		}
		if err := waitCRDs(ctx, c, stage, o); err != nil {
			return out, err
		}
		if hasCRD(stage) {
			c.Mapper = resetMapper(c.Mapper)
		}
	}
	return out, nil
}

// ApplyOne server-side applies a single object.
func ApplyOne(ctx context.Context, c *kube.Clients, u *unstructured.Unstructured, o ApplyOptions) (*unstructured.Unstructured, error) {
	u = withLabels(u, o.Labels)
	return o.manager(c, nil).Apply(ctx, u)
}

// The apply stages, in order.
const (
	stageFoundation = iota // Namespaces and CRDs
	stageDependency        // what pods read when they start
	stageWorkload          // workloads and everything else
	stageAdmission         // what intercepts requests
	stageCount
)

var stageOfKind = func() map[schema.GroupKind]int {
	m := map[schema.GroupKind]int{
		{Kind: "Namespace"}: stageFoundation, {Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: stageFoundation,
	}
	for _, gk := range []schema.GroupKind{
		{Kind: "ServiceAccount"}, {Kind: "Secret"}, {Kind: "ConfigMap"}, {Kind: "Service"},
		{Kind: "PersistentVolume"}, {Kind: "PersistentVolumeClaim"}, {Kind: "ResourceQuota"}, {Kind: "LimitRange"},
		{Group: "storage.k8s.io", Kind: "StorageClass"}, {Group: "scheduling.k8s.io", Kind: "PriorityClass"},
		{Group: "networking.k8s.io", Kind: "NetworkPolicy"},
		{Group: "rbac.authorization.k8s.io", Kind: "Role"}, {Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, {Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"},
	} {
		m[gk] = stageDependency
	}
	for _, k := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"} {
		m[schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: k}] = stageAdmission
	}
	m[schema.GroupKind{Group: "apiregistration.k8s.io", Kind: "APIService"}] = stageAdmission
	return m
}()

// stageOf returns the apply stage of a kind.
func stageOf(gk schema.GroupKind) int {
	if s, ok := stageOfKind[gk]; ok {
		return s
	}
	return stageWorkload
}

// stages splits objs by apply stage, keeping their order in each and
// leaving out empty stages.
func stages(objs []*unstructured.Unstructured) [][]*unstructured.Unstructured {
	var by [stageCount][]*unstructured.Unstructured
	for _, u := range objs {
		s := stageOf(u.GroupVersionKind().GroupKind())
		by[s] = append(by[s], u)
	}
	var out [][]*unstructured.Unstructured
	for _, s := range by {
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// lastOfEach drops every object that a later one of objs names again
// (in any API version): applied concurrently, the two would race.
func lastOfEach(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	seen := make(map[kube.ObjectRef]bool, len(objs))
	keep := make([]bool, len(objs))
	for i := len(objs) - 1; i >= 0; i-- {
		r := kube.RefOf(objs[i])
		r.Version = ""
		keep[i], seen[r] = !seen[r], true
	}
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for i, u := range objs {
		if keep[i] {
			out = append(out, u)
		}
	}
	return out
}

func withLabelsAll(objs []*unstructured.Unstructured, labels map[string]string) []*unstructured.Unstructured {
	if len(labels) == 0 {
		return objs
	}
	out := make([]*unstructured.Unstructured, len(objs))
	for i, u := range objs {
		out[i] = withLabels(u, labels)
	}
	return out
}

func withLabels(u *unstructured.Unstructured, labels map[string]string) *unstructured.Unstructured {
	if len(labels) == 0 {
		return u
	}
	u = u.DeepCopy()
	l := u.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	for k, v := range labels {
		l[k] = v
	}
	u.SetLabels(l)
	return u
}

func hasCRD(objs []*unstructured.Unstructured) bool {
	for _, u := range objs {
		if u.GetKind() == "CustomResourceDefinition" {
			return true
		}
	}
	return false
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

func waitCRDs(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured, o ApplyOptions) error {
	for _, u := range objs {
		if u.GetKind() != "CustomResourceDefinition" {
			continue
		}
		err := wait.PollUntilContextTimeout(ctx, o.Poll, o.CRDTimeout, true, func(ctx context.Context) (bool, error) {
			got, err := c.Dynamic.Resource(crdGVR).Get(ctx, u.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return conditionTrue(got, "Established"), nil
		})
		if err != nil {
			return fmt.Errorf("%s: not Established: %w", kube.RefOf(u), err)
		}
	}
	return nil
}

func conditionTrue(u *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == typ && m["status"] == "True" {
			return true
		}
	}
	return false
}

// resetMapper forgets cached discovery so kinds of new CRDs resolve.
func resetMapper(m meta.RESTMapper) meta.RESTMapper {
	if r, ok := m.(meta.ResettableRESTMapper); ok {
		r.Reset()
	}
	return m
}
