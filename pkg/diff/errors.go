package diff

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-promote/kubectl-promote/pkg/exitcode"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// ObjectError explains err, returned by the request verb (get, list,
// patch) on ref's resource gvr, in words that name the object and what to
// do, and tags it with exit code 3 (cluster error before any change).
// Conflicts become a *ConflictError naming the other field managers,
// denials a *ForbiddenError naming the permission, a missing namespace a
// hint to create it. A canceled context is returned as it is.
func ObjectError(ref kube.ObjectRef, gvr schema.GroupVersionResource, verb string, err error) error {
	return requestError(ref, gvr, requestFor(verb), err)
}

// request is what a failed request was for, as its error tells it.
type request struct {
	// verb is the RBAC verb of the request.
	verb string
	// purpose says why it was sent: "dry-run", "apply", "reading the live object".
	purpose string
	// rejected starts the cause of an invalid or bad request.
	rejected string
}

// The requests of the Manager that ObjectError's verbs do not name.
var (
	applyRequest  = request{verb: "patch", purpose: "apply", rejected: "apply rejected"}
	deleteRequest = request{verb: "delete", purpose: "pruning", rejected: "delete rejected"}
)

var purposes = map[string]string{
	"patch": "dry-run",
	"get":   "reading the live object",
	"list":  "finding owned objects to delete",
}

// requestFor returns the request of one of ObjectError's verbs.
func requestFor(verb string) request {
	r := request{verb: verb, purpose: purposes[verb], rejected: "dry-run rejected"}
	if r.purpose == "" {
		r.purpose = verb
	}
	return r
}

// requestError is ObjectError for any request.
func requestError(ref kube.ObjectRef, gvr schema.GroupVersionResource, req request, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return exitcode.With(exitcode.Cluster, classify(ref, gvr, req, err))
}

func classify(ref kube.ObjectRef, gvr schema.GroupVersionResource, req request, err error) error {
	if c, ok := AsConflict(ref, err); ok {
		return c
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return &objectError{ref: ref, cause: "cluster unreachable: " + err.Error(), err: err, fatal: true}
	}
	details := status.Status().Details
	switch {
	case apierrors.IsForbidden(err):
		return newForbidden(ref, gvr, req, err)
	case apierrors.IsNotFound(err) && details != nil && details.Kind == "namespaces":
		return &NamespaceError{Ref: ref, Namespace: details.Name}
	case apierrors.IsUnauthorized(err):
		return &objectError{ref: ref, cause: "unauthorized: the cluster rejected the credentials of this kubeconfig context", err: err, fatal: true}
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return &objectError{ref: ref, cause: req.rejected + ": " + status.Status().Message, err: err}
	}
	return &objectError{ref: ref, cause: req.verb + " " + resourceName(gvr.GroupResource()) + ": " + status.Status().Message, err: err}
}

// noKindError says the cluster serves no kind of ref's group and version;
// err is the mapper's error, if any.
func noKindError(ref kube.ObjectRef, err error) error {
	return exitcode.With(exitcode.Cluster, &objectError{ref: ref, err: err, cause: fmt.Sprintf(
		"the cluster serves no kind %q in %q: install its CustomResourceDefinition first or add it to the render, or use an apiVersion the cluster serves",
		ref.Kind, ref.GroupVersionKind().GroupVersion().String())})
}

// objectError is an error about one object with a cause that other
// objects may share; errors are grouped by cause when printed.
type objectError struct {
	ref   kube.ObjectRef
	cause string
	err   error
	// fatal marks an error every other request would get too.
	fatal bool
}

func (e *objectError) Error() string          { return e.ref.String() + ": " + e.cause }
func (e *objectError) Unwrap() error          { return e.err }
func (e *objectError) object() kube.ObjectRef { return e.ref }
func (e *objectError) causeString() string    { return e.cause }

// grouped is implemented by every error about one object.
type grouped interface {
	object() kube.ObjectRef
	causeString() string
}

// Conflict is one other field manager and the fields it owns that the
// apply would change.
type Conflict struct {
	Manager string   `json:"manager"`
	Fields  []string `json:"fields"`
}

// ConflictError says which other field managers own fields that applying
// the object would change.
type ConflictError struct {
	Ref       kube.ObjectRef
	Conflicts []Conflict
	Err       error
}

// Error names the object, the managers and their fields.
func (e *ConflictError) Error() string { return e.Ref.String() + ": " + e.causeString() }

// Unwrap returns the apiserver's error.
func (e *ConflictError) Unwrap() error          { return e.Err }
func (e *ConflictError) object() kube.ObjectRef { return e.Ref }

func (e *ConflictError) causeString() string {
	parts := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		parts[i] = fmt.Sprintf("%s owned by field manager %q", strings.Join(c.Fields, ", "), c.Manager)
	}
	return "conflict: " + strings.Join(parts, "; ") +
		": make the render agree with their values, remove the fields from the render, or take them over with --force-conflicts"
}

var conflictManager = regexp.MustCompile(`conflict with "([^"]*)"`)

// AsConflict turns a server-side apply conflict into a *ConflictError
// built from the status causes the apiserver sends, one per field.
func AsConflict(ref kube.ObjectRef, err error) (*ConflictError, bool) {
	if !apierrors.IsConflict(err) {
		return nil, false
	}
	var status apierrors.APIStatus
	errors.As(err, &status)
	details := status.Status().Details
	if details == nil {
		return nil, false
	}
	var out []Conflict
	for _, c := range details.Causes {
		if c.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		manager := c.Message
		if m := conflictManager.FindStringSubmatch(c.Message); m != nil {
			manager = m[1]
		}
		i := slices.IndexFunc(out, func(x Conflict) bool { return x.Manager == manager })
		if i < 0 {
			out = append(out, Conflict{Manager: manager})
			i = len(out) - 1
		}
		out[i].Fields = append(out[i].Fields, c.Field)
	}
	if len(out) == 0 {
		return nil, false
	}
	return &ConflictError{Ref: ref, Conflicts: out, Err: err}, true
}

// ForbiddenError says which permission a request needed.
type ForbiddenError struct {
	Ref kube.ObjectRef
	// Verb, Resource (resource.group) and Namespace (empty when
	// cluster-wide) are the permission that was denied; User is who asked,
	// when the server says.
	Verb, Resource, Namespace, User string
	// Purpose is what the request was for: "dry-run", "reading the live object".
	Purpose string
	Err     error
}

// Error names the object and the permission it needs.
func (e *ForbiddenError) Error() string { return e.Ref.String() + ": " + e.causeString() }

// Unwrap returns the apiserver's error.
func (e *ForbiddenError) Unwrap() error          { return e.Err }
func (e *ForbiddenError) object() kube.ObjectRef { return e.Ref }

func (e *ForbiddenError) causeString() string {
	where, grant := "cluster-wide", "a ClusterRole"
	if e.Namespace != "" {
		where, grant = fmt.Sprintf("in namespace %q", e.Namespace), "a Role"
	}
	who := ""
	if e.User != "" {
		who = fmt.Sprintf(" (user %q)", e.User)
	}
	return fmt.Sprintf("forbidden: %s needs %q on %q %s%s: grant it with %s bound to the user",
		e.Purpose, e.Verb, e.Resource, where, who, grant)
}

// serverDenial parses the apiserver's RBAC denial message.
var serverDenial = regexp.MustCompile(`User "([^"]*)" cannot (\S+) resource "([^"]*)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]*)")?`)

func newForbidden(ref kube.ObjectRef, gvr schema.GroupVersionResource, req request, err error) *ForbiddenError {
	f := &ForbiddenError{Ref: ref, Verb: req.verb, Resource: resourceName(gvr.GroupResource()),
		Namespace: ref.Namespace, Purpose: req.purpose, Err: err}
	if m := serverDenial.FindStringSubmatch(err.Error()); m != nil {
		f.User, f.Verb, f.Namespace = m[1], m[2], m[5]
		f.Resource = resourceName(schema.GroupResource{Group: m[4], Resource: m[3]})
	}
	return f
}

func resourceName(gr schema.GroupResource) string {
	if gr.Group == "" {
		return gr.Resource
	}
	return gr.Resource + "." + gr.Group
}

// NamespaceError says an object's namespace does not exist.
type NamespaceError struct {
	Ref       kube.ObjectRef
	Namespace string
}

// Error names the object and the missing namespace.
func (e *NamespaceError) Error() string          { return e.Ref.String() + ": " + e.causeString() }
func (e *NamespaceError) object() kube.ObjectRef { return e.Ref }

func (e *NamespaceError) causeString() string {
	return fmt.Sprintf("namespace %q does not exist: create it or add a Namespace to the render", e.Namespace)
}

// isFatal reports whether err will fail every other request too (the
// cluster is unreachable or rejects the credentials), so that Diff stops
// instead of sending them.
func isFatal(err error) bool {
	var oe *objectError
	return errors.As(err, &oe) && oe.fatal
}

// badInput returns an error about ref with exit code 2.
func badInput(ref kube.ObjectRef, format string, args ...any) error {
	return exitcode.With(exitcode.BadInput, &objectError{ref: ref, cause: fmt.Sprintf(format, args...)})
}

// maxListed is how many objects an error names before "and N more".
const maxListed = 3

// Errors is every object error of one Diff. Its message groups objects
// that failed for the same reason, one line per reason:
//
//	Deployment/shop/api, Deployment/shop/web and 28 more: forbidden: dry-run needs …
type Errors []error

// Error writes one line per cause, naming the objects that share it.
func (e Errors) Error() string {
	type group struct {
		cause string
		refs  []kube.ObjectRef
	}
	var groups []*group
	index := map[string]*group{}
	var lines []string
	for _, err := range e {
		var g grouped
		if !errors.As(err, &g) {
			lines = append(lines, err.Error())
			continue
		}
		gr := index[g.causeString()]
		if gr == nil {
			gr = &group{cause: g.causeString()}
			index[gr.cause] = gr
			groups = append(groups, gr)
		}
		gr.refs = append(gr.refs, g.object())
	}
	for _, g := range groups {
		lines = append(lines, listRefs(g.refs)+": "+g.cause)
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each object's error and exit code.
func (e Errors) Unwrap() []error { return e }

func listRefs(refs []kube.ObjectRef) string {
	slices.SortFunc(refs, compareRefs)
	names := make([]string, 0, maxListed)
	for _, r := range refs[:min(len(refs), maxListed)] {
		names = append(names, r.String())
	}
	switch rest := len(refs) - len(names); {
	case rest > 0:
		return strings.Join(names, ", ") + fmt.Sprintf(" and %d more", rest)
	case len(names) > 1:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	return names[0]
}

// join returns nil, the only error, or Errors sorted by object.
func join(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	out := slices.Clone(errs)
	slices.SortStableFunc(out, func(a, b error) int {
		var ga, gb grouped
		if !errors.As(a, &ga) || !errors.As(b, &gb) {
			return 0
		}
		return compareRefs(ga.object(), gb.object())
	})
	return Errors(out)
}
