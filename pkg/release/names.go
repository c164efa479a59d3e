package release

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// SecretType is the type of every release record Secret; the version
// changes only if the encoding does.
const SecretType = "promote.kubectl-plugin.dev/release.v1"

// DataKey is the Secret data key holding the gzipped JSON record.
const DataKey = "release"

// Label keys and values on every object this package writes.
const (
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	ManagedBy        = "kubectl-promote"
	LabelPipeline    = kube.LabelPipeline
	LabelEnvironment = kube.LabelEnvironment
	LabelRevision    = "promote.kubectl-plugin.dev/revision"
	LabelStatus      = "promote.kubectl-plugin.dev/status"
)

// DefaultHistory is how many release records are kept unless the pipeline says otherwise.
const DefaultHistory = 10

// SecretName returns the name of the record Secret of one revision:
// promote.v1.<pipeline>.<environment>.v<revision>.
func SecretName(pipeline, environment string, revision int) string {
	return fmt.Sprintf("promote.v1.%s.%s.v%d", pipeline, environment, revision)
}

// LeaseName returns the name of the lock Lease: promote-<pipeline>-<environment>.
func LeaseName(pipeline, environment string) string {
	return "promote-" + pipeline + "-" + environment
}

// StateName returns the name of the rollout state ConfigMap.
func StateName(pipeline, environment string) string {
	return LeaseName(pipeline, environment) + "-state"
}

// checkNames validates what goes into object names and label values, so a
// bad pipeline or environment name fails before any request is sent.
func checkNames(namespace, pipeline, environment string) error {
	var errs []string
	if namespace == "" {
		errs = append(errs, "namespace is empty")
	}
	for _, f := range []struct{ what, v string }{{"pipeline", pipeline}, {"environment", environment}} {
		// A DNS label has no dots, so the parts of a record name stay apart.
		for _, e := range validation.IsDNS1123Label(f.v) {
			errs = append(errs, fmt.Sprintf("%s name %q: %s", f.what, f.v, e))
		}
	}
	// The longest name is the record Secret of a revision with many digits.
	for _, name := range []string{SecretName(pipeline, environment, 1<<31-1), StateName(pipeline, environment)} {
		for _, e := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, fmt.Sprintf("object name %q: %s", name, e))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("release records of %s/%s in namespace %q: %s", pipeline, environment, namespace, strings.Join(errs, "; "))
	}
	return nil
}

// ownerLabels are the labels shared by everything of one pipeline and environment.
func ownerLabels(pipeline, environment string) map[string]string {
	return map[string]string{
		LabelManagedBy:   ManagedBy,
		LabelPipeline:    pipeline,
		LabelEnvironment: environment,
	}
}

// recordLabels are the labels of one record Secret.
func recordLabels(r *Record) map[string]string {
	l := ownerLabels(r.Pipeline, r.Environment)
	l[LabelRevision] = strconv.Itoa(r.Revision)
	l[LabelStatus] = string(r.Status)
	return l
}

// selector selects the records of one pipeline and environment, narrowed
// to statuses when any are given.
func selector(pipeline, environment string, statuses ...Status) (string, error) {
	sel := labels.SelectorFromSet(ownerLabels(pipeline, environment))
	if len(statuses) == 0 {
		return sel.String(), nil
	}
	vals := make([]string, len(statuses))
	for i, s := range statuses {
		vals[i] = string(s)
	}
	req, err := labels.NewRequirement(LabelStatus, "in", vals)
	if err != nil {
		return "", fmt.Errorf("status selector: %w", err)
	}
	return sel.Add(*req).String(), nil
}

// fieldManager names this tool as the writer of every object.
const fieldManager = kube.FieldManager
