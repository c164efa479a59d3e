package promote

import (
	"context"
	"sort"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Overall health of a release's objects, as Health reports it.
const (
	Healthy   = "Healthy"
	Unhealthy = "Unhealthy"
)

// ObjectHealth is kstatus's view of one object of a release.
type ObjectHealth struct {
	Object  string `json:"object"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Health computes kstatus for every object of refs, live, and the overall
// verdict: Healthy when every object is Current. Objects that are not
// Current come first.
func Health(ctx context.Context, c *kube.Clients, refs []kube.ObjectRef) ([]ObjectHealth, string) {
	overall := Healthy
	out := make([]ObjectHealth, 0, len(refs))
	for _, r := range refs {
		h := objectHealth(ctx, c, r)
		if h.Status != string(status.CurrentStatus) {
			overall = Unhealthy
		}
		out = append(out, h)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Status != string(status.CurrentStatus) && out[j].Status == string(status.CurrentStatus)
	})
	return out, overall
}

func objectHealth(ctx context.Context, c *kube.Clients, r kube.ObjectRef) ObjectHealth {
	h := ObjectHealth{Object: r.String()}
	m, err := c.Mapper.RESTMapping(schema.GroupKind{Group: r.Group, Kind: r.Kind}, r.Version)
	if err != nil {
		h.Status, h.Message = "Unknown", err.Error()
		return h
	}
	live, err := c.Dynamic.Resource(m.Resource).Namespace(r.Namespace).Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		h.Status, h.Message = string(status.NotFoundStatus), "missing from the cluster"
		return h
	}
	if err != nil {
		h.Status, h.Message = "Unknown", err.Error()
		return h
	}
	res, err := status.Compute(live)
	if err != nil {
		h.Status, h.Message = "Unknown", err.Error()
		return h
	}
	h.Status, h.Message = string(res.Status), res.Message
	return h
}
