package analysis_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-promote/kubectl-promote/pkg/analysis"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
	"github.com/kubectl-promote/kubectl-promote/test/prometheus"
)

// proxiedCheck is errorRateCheck with Prometheus named as a Service.
func proxiedCheck(ns string, port intstr.IntOrString, count int) *pipeline.Analysis {
	a := errorRateCheck("", count)
	p := a.Checks[0].Provider.Prometheus
	p.Service = &pipeline.ServiceRef{Namespace: ns, Name: "prometheus", Port: port}
	return a
}

// Given a real Prometheus exposed as Service monitoring/prometheus on the
// local cluster (see prometheus.Expose), and a user whose only right is
// get on services/proxy there, When a check names the Service, Then it is
// queried through the apiserver's service proxy with that user's
// credentials: a healthy error rate passes (port by number and by name), a
// rising one fails with the measured value, a bad query errs with
// Prometheus' reason; a user without the right, a missing Service and one
// without endpoints each get an Error saying so.
func TestClusterPrometheusServiceProxy(t *testing.T) {
	t.Parallel()
	c := localcluster.Shared(t)
	admin, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	exp := prometheus.NewExporter(t)
	exp.SetErrorRate(0.01)
	ns := c.Namespace(t, "monitoring")
	prom := prometheus.StartExposed(t, admin, ns, "prometheus", prometheus.Host(exp.URL))
	waitForData(t, prom.Address)
	ci := userConfig(t, c, "ci-runner")
	grantServiceProxy(t, admin, ns, "ci-runner")

	for _, port := range []intstr.IntOrString{intstr.FromInt32(prometheus.ServicePort), intstr.FromString("web")} {
		res := runUntilAllowed(t, proxiedCheck(ns, port, 2), ci)
		if res.Phase != analysis.Successful {
			t.Fatalf("port %s, healthy error rate: %s: %s", port.String(), res.Phase, res.Message)
		}
	}

	t.Logf("one query: direct %s, through the service proxy %s (median of 10)",
		medianRun(t, errorRateCheck(prom.Address, 1), analysis.Clients{}),
		medianRun(t, proxiedCheck(ns, intstr.FromInt32(prometheus.ServicePort), 1), analysis.Clients{Config: ci}))

	exp.SetErrorRate(0.4)
	res, err := analysis.Run(t.Context(), proxiedCheck(ns, intstr.FromInt32(prometheus.ServicePort), 20), analysis.Vars{}, analysis.Clients{Config: ci}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != analysis.Failed || !strings.Contains(res.Message, "error-rate: result [0.") {
		t.Fatalf("rising error rate: %s: %s", res.Phase, res.Message)
	}
	t.Logf("reason: %s", res.Message)

	res, err = analysis.Run(t.Context(), proxiedCheck(ns, intstr.FromInt32(prometheus.ServicePort), 1), analysis.Vars{}, analysis.Clients{Config: userConfig(t, c, "stranger")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != analysis.Error || !strings.Contains(res.Message, "needs get on services/proxy in namespace "+ns) {
		t.Fatalf("user without services/proxy: %s: %s", res.Phase, res.Message)
	}
	t.Logf("refused: %s", res.Message)

	bad := proxiedCheck(ns, intstr.FromInt32(prometheus.ServicePort), 1)
	bad.Checks[0].Provider.Prometheus.Query = "sum(rate(x[5s]"
	res, err = analysis.Run(t.Context(), bad, analysis.Vars{}, analysis.Clients{Config: ci}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != analysis.Error || !strings.Contains(res.Message, "bad_data") {
		t.Fatalf("bad query through the proxy: %s: %s", res.Phase, res.Message)
	}

	missing := proxiedCheck(ns, intstr.FromInt32(prometheus.ServicePort), 1)
	missing.Checks[0].Provider.Prometheus.Service.Name = "thanos"
	res, err = analysis.Run(t.Context(), missing, analysis.Vars{}, analysis.Clients{Config: c.RESTConfig()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != analysis.Error || !strings.Contains(res.Message, `services "thanos" not found; check prometheus.service's namespace and name`) {
		t.Fatalf("missing Service: %s: %s", res.Phase, res.Message)
	}

	empty := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "thanos", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "web", Port: 9090}}}}
	if _, err := admin.CoreV1().Services(ns).Create(t.Context(), empty, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err = analysis.Run(t.Context(), missing, analysis.Vars{}, analysis.Clients{Config: c.RESTConfig()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phase != analysis.Error || !strings.Contains(res.Message, `no endpoints available for service "thanos"; the Service needs a ready endpoint`) {
		t.Fatalf("Service without endpoints: %s: %s", res.Phase, res.Message)
	}
}

// runUntilAllowed runs a until the new RoleBinding has reached the
// apiserver's authorizer cache (a few hundred milliseconds).
func runUntilAllowed(t *testing.T, a *pipeline.Analysis, cfg *rest.Config) *analysis.Result {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := analysis.Run(t.Context(), a, analysis.Vars{}, analysis.Clients{Config: cfg}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Message, "forbidden") || time.Now().After(deadline) {
			return res
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func userConfig(t *testing.T, c *localcluster.Cluster, user string) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", c.UserKubeconfig(t, user))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// grantServiceProxy gives user get on services/proxy in ns for the
// prometheus Service's port, nothing else. RBAC matches resourceNames
// against the proxy's name for the target, NAME:PORT as written in the
// check, not the Service's name.
func grantServiceProxy(t *testing.T, kube kubernetes.Interface, ns, user string) {
	t.Helper()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-query", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"services/proxy"},
			ResourceNames: []string{"prometheus:9090", "prometheus:web"}, Verbs: []string{"get"}}},
	}
	if _, err := kube.RbacV1().Roles(ns).Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-query", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if _, err := kube.RbacV1().RoleBindings(ns).Create(t.Context(), rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// medianRun is the median wall time of ten runs of a, for the log.
func medianRun(t *testing.T, a *pipeline.Analysis, clients analysis.Clients) time.Duration {
	t.Helper()
	var ds []time.Duration
	for range 10 {
		start := time.Now()
		if res, err := analysis.Run(t.Context(), a, analysis.Vars{}, clients, nil); err != nil || res.Phase == analysis.Error {
			t.Fatalf("%v %+v", err, res)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[len(ds)/2].Round(100 * time.Microsecond)
}
