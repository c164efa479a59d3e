package diff

import (
	"errors"
	"slices"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// DefaultConcurrency is how many objects are diffed at once by default:
// enough to hide the round-trip time, few enough not to crowd the
// apiserver's priority-and-fairness queue of one user.
const DefaultConcurrency = 8

// Options configures Diff.
type Options struct {
	// FieldManager is the server-side apply field manager.
	FieldManager string
	// Concurrency bounds the objects in flight (default 8).
	Concurrency int
	// Force takes over fields owned by other managers instead of
	// reporting a conflict.
	Force bool
	// Drift, when the dry-run conflicts with other field managers (someone
	// changed the objects by hand: drift), dry-runs again as apply
	// --force-conflicts would and reports that change, the conflicting
	// fields in Change.Conflicts, instead of failing with a
	// *ConflictError. Without Force, an apply would still refuse them.
	Drift bool
	// ShowSecrets leaves Secret values unmasked.
	ShowSecrets bool
	// AlwaysDryRun sends every object to the server, even one whose
	// managed fields prove applying it changes nothing; only a mutating
	// admission webhook that rewrites objects on every write can tell
	// the two apart.
	AlwaysDryRun bool
	// Namespace is the environment's namespace: objects without one go
	// there, and objects elsewhere are refused unless in AllowedNamespaces.
	// Empty means no default and no restriction.
	Namespace string
	// AllowedNamespaces are the other namespaces objects may target.
	AllowedNamespaces []string
	// Owner labels every object; objects carrying its labels that the
	// render lacks are reported deleted. Empty means no deletions.
	Owner Owner
	// Prepared says the objects come from Prepare with this Owner, as
	// those of a deploy do: Diff then does not prepare copies of them
	// again. Diff never changes the objects it is given either way.
	Prepared bool
	// Previous is the previous release's inventory. When set, deleted is
	// Previous minus the render (still only objects carrying Owner's
	// labels, when Owner is set); otherwise it is every object carrying
	// Owner's labels minus the render.
	Previous []kube.ObjectRef
}

// DefaultOptions returns the options of `kubectl promote diff`.
func DefaultOptions() Options {
	return Options{FieldManager: kube.FieldManager, Concurrency: DefaultConcurrency}
}

// Owner names the pipeline and environment whose labels mark owned objects.
type Owner struct {
	Pipeline    string `json:"pipeline"`
	Environment string `json:"environment"`
}

// IsZero reports whether o names nothing.
func (o Owner) IsZero() bool { return o.Pipeline == "" && o.Environment == "" }

// Labels returns the owner labels, nil for the zero Owner.
func (o Owner) Labels() map[string]string {
	if o.IsZero() {
		return nil
	}
	return map[string]string{kube.LabelPipeline: o.Pipeline, kube.LabelEnvironment: o.Environment}
}

// Selector returns the label selector matching objects o owns.
func (o Owner) Selector() string {
	return labels.SelectorFromSet(o.Labels()).String()
}

// validate checks the options that do not depend on the objects.
func (o Options) validate() error {
	switch {
	case o.FieldManager == "":
		return errors.New("diff: a field manager is required")
	case o.Concurrency < 0:
		return errors.New("diff: concurrency must not be negative")
	case (o.Owner.Pipeline == "") != (o.Owner.Environment == ""):
		return errors.New("diff: owner needs both a pipeline and an environment")
	}
	return nil
}

func (o Options) concurrency() int {
	if o.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return o.Concurrency
}

// allowed reports whether objects may target namespace ns.
func (o Options) allowed(ns string) bool {
	return o.Namespace == "" || ns == o.Namespace || slices.Contains(o.AllowedNamespaces, ns)
}
