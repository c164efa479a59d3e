package analysis

import (
	"context"
	"net/http"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// provider takes one measurement. A verdict other than "" decides the
// measurement without the conditions (a Job's outcome).
type provider interface {
	measure(ctx context.Context) (value any, verdict Phase, err error)
}

// warner is a provider whose last measurement may come with warnings
// (Prometheus' API answers with them); a check measures one at a time.
type warner interface {
	warnings() []string
}

func newProvider(ctx context.Context, c pipeline.Check, vars Vars, clients Clients) (provider, error) {
	hc := clients.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	switch p := c.Provider; {
	case p.Prometheus != nil:
		return newPrometheus(ctx, p.Prometheus, vars, clients)
	case p.Web != nil:
		return newWeb(ctx, p.Web, vars, hc, clients.Kube)
	case p.Job != nil:
		return newJob(c.Name, p.Job, vars, clients.Kube)
	}
	return nil, errNoProvider
}
