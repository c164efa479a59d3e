package pipeline

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/kubectl-promote/kubectl-promote/pkg/condition"
)

func (v *validator) analysis(path, label string, a *Analysis) {
	if a == nil {
		return
	}
	if len(a.Checks) == 0 {
		v.field(path, "%s: analysis.checks is empty: list checks such as [{name: error-rate, provider: {prometheus: …}, failureCondition: result > 0.05}]", label)
	}
	names := map[string]bool{}
	for i, c := range a.Checks {
		cp := fmt.Sprintf("%s.checks[%d]", path, i)
		switch {
		case c.Name == "":
			v.field(cp, "%s: analysis check %d has no name", label, i+1)
		case names[c.Name]:
			v.field(cp+".name", "%s: analysis check %q is listed twice", label, c.Name)
		}
		names[c.Name] = true
		v.check(cp, fmt.Sprintf("%s: check %s", label, c.Name), c)
	}
}

func (v *validator) check(path, label string, c Check) {
	v.provider(path+".provider", label, c.Provider)
	for _, n := range []struct {
		field string
		value int
	}{{"count", c.Count}, {"failureLimit", c.FailureLimit}, {"inconclusiveLimit", c.InconclusiveLimit}} {
		if n.value < 0 {
			v.field(path+"."+n.field, "%s: %s must not be negative", label, n.field)
		}
	}
	if c.ConsecutiveErrorLimit != nil && *c.ConsecutiveErrorLimit < 0 {
		v.field(path+".consecutiveErrorLimit", "%s: consecutiveErrorLimit must not be negative", label)
	}
	if c.Interval < 0 || c.InitialDelay < 0 {
		v.field(path+".interval", "%s: interval and initialDelay must not be negative", label)
	}
	for field, src := range map[string]string{"successCondition": c.SuccessCondition, "failureCondition": c.FailureCondition} {
		if src == "" {
			continue
		}
		if _, err := condition.Compile(src); err != nil {
			v.field(path+"."+field, "%s: %s: %v", label, field, oneLine(err))
		}
	}
}

func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func (v *validator) provider(path, label string, p Provider) {
	n := 0
	for _, set := range []bool{p.Prometheus != nil, p.Web != nil, p.Job != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		v.field(path, "%s: provider must set exactly one of prometheus, web or job", label)
		return
	}
	switch {
	case p.Prometheus != nil:
		v.prometheus(path+".prometheus", label, p.Prometheus)
	case p.Web != nil:
		v.web(path+".web", label, p.Web)
	default:
		v.job(path+".job", label, p.Job)
	}
}

func (v *validator) prometheus(path, label string, p *PrometheusProvider) {
	if p.Query == "" {
		v.field(path, "%s: prometheus.query is required", label)
	}
	if p.TimeoutSeconds < 0 {
		v.field(path+".timeoutSeconds", "%s: prometheus.timeoutSeconds must not be negative", label)
	}
	switch {
	case p.Service != nil && p.Address != "":
		v.field(path, "%s: prometheus sets both address and service; keep one", label)
	case p.Service != nil:
		v.service(path+".service", label, p.Service)
		if p.Auth != nil {
			v.field(path+".auth", "%s: prometheus.auth works with address only: through the service proxy "+
				"the apiserver takes your kubeconfig's credentials and passes no Authorization header on", label)
		}
	default:
		v.httpURL(path+".address", label, "prometheus.address (or prometheus.service)", p.Address)
		v.prometheusAuth(path+".auth", label, p.Auth)
	}
}

func (v *validator) service(path, label string, s *ServiceRef) {
	if s.Name == "" {
		v.field(path, "%s: prometheus.service.name is required", label)
	}
	if s.Port.String() == "" || s.Port.String() == "0" {
		v.field(path, "%s: prometheus.service.port is required: the Service port's number or name, like 9090 or web", label)
	}
	switch s.Scheme {
	case "", "http", "https":
	default:
		v.field(path+".scheme", "%s: prometheus.service.scheme %q must be http or https", label, s.Scheme)
	}
	if s.Path != "" && !strings.HasPrefix(s.Path, "/") {
		v.field(path+".path", "%s: prometheus.service.path %q must start with /", label, s.Path)
	}
}

func (v *validator) prometheusAuth(path, label string, a *PrometheusAuth) {
	if a == nil {
		return
	}
	if (a.BearerToken == nil) == (a.Basic == nil) {
		v.field(path, "%s: prometheus.auth must set exactly one of bearerToken or basic", label)
		return
	}
	if a.BearerToken != nil {
		v.secretRef(path+".bearerToken", label, "prometheus.auth.bearerToken", a.BearerToken)
		return
	}
	if a.Basic.Username == "" {
		v.field(path+".basic", "%s: prometheus.auth.basic.username is required", label)
	}
	v.secretRef(path+".basic.password", label, "prometheus.auth.basic.password", &a.Basic.Password)
}

func (v *validator) secretRef(path, label, field string, r *HeaderValueRef) {
	if r.SecretKeyRef == nil || r.SecretKeyRef.Name == "" || r.SecretKeyRef.Key == "" {
		v.field(path, "%s: %s needs secretKeyRef: {name: SECRET, key: KEY}", label, field)
	}
}

func (v *validator) httpURL(path, label, field, raw string) {
	if raw == "" {
		v.field(path, "%s: %s is required", label, field)
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.field(path, "%s: %s %q must be an http:// or https:// URL", label, field, raw)
	}
}

func (v *validator) web(path, label string, w *WebProvider) {
	v.httpURL(path+".url", label, "web.url", w.URL)
	switch strings.ToUpper(w.Method) {
	case "", "GET", "POST", "PUT":
	default:
		v.field(path+".method", "%s: web.method %q is not supported; use GET, POST or PUT", label, w.Method)
	}
	if _, err := ParseJSONPath(w.JSONPath); err != nil {
		v.field(path+".jsonPath", "%s: web.%v", label, err)
	}
	if w.TimeoutSeconds < 0 {
		v.field(path+".timeoutSeconds", "%s: web.timeoutSeconds must not be negative", label)
	}
	for i, h := range w.Headers {
		hp := fmt.Sprintf("%s.headers[%d]", path, i)
		ref := h.ValueFrom != nil && h.ValueFrom.SecretKeyRef != nil
		switch {
		case h.Name == "":
			v.field(hp, "%s: web header %d has no name", label, i+1)
		case ref && h.Value != "":
			v.field(hp, "%s: web header %s sets both value and valueFrom; keep one", label, h.Name)
		case h.ValueFrom != nil && !ref:
			v.field(hp+".valueFrom", "%s: web header %s: valueFrom needs secretKeyRef: {name: …, key: …}", label, h.Name)
		case ref && (h.ValueFrom.SecretKeyRef.Name == "" || h.ValueFrom.SecretKeyRef.Key == ""):
			v.field(hp+".valueFrom", "%s: web header %s: secretKeyRef needs name and key", label, h.Name)
		}
	}
}

func (v *validator) job(path, label string, j *JobProvider) {
	if len(j.Spec) == 0 {
		v.field(path, "%s: job.spec is required (a batch/v1 JobSpec)", label)
		return
	}
	var spec batchv1.JobSpec
	if err := json.Unmarshal(j.Spec, &spec); err != nil {
		v.field(path+".spec", "%s: job.spec is not a batch/v1 JobSpec: %v", label, err)
		return
	}
	if len(spec.Template.Spec.Containers) == 0 {
		v.field(path+".spec", "%s: job.spec.template.spec.containers is empty", label)
	}
}
