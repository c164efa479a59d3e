package guard

import (
	"bytes"
	"errors"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// ManifestOptions say what Manifests prints.
type ManifestOptions struct {
	// Image is the kubectl-promote image.
	Image string
	// Pipeline is the pipeline's metadata.name; PipelineFile its promote.yaml,
	// mounted from a ConfigMap (the guard reads no other file).
	Pipeline     string
	PipelineFile []byte
	// Namespace is where the guard runs (its Deployment, ServiceAccount,
	// ConfigMap and leader Lease).
	Namespace string
	// EnvNamespaces are the guarded environments' namespaces: each gets a
	// Role and a RoleBinding for the ServiceAccount.
	EnvNamespaces []string
	// Args are the guard's arguments after `guard` (environments, flags).
	Args []string
}

// Names of what Manifests prints.
const (
	manifestName = "kubectl-promote-guard"
	pipelinePath = "/etc/kubectl-promote/promote.yaml"
	metricsPort  = 8080
)

// Manifests prints the objects that run the guard in a cluster: a
// ConfigMap with promote.yaml, a ServiceAccount, a Deployment of two
// replicas (one leads, one stands by), and a Role and RoleBinding in each
// environment's namespace (and the guard's own, for its leader Lease).
// Namespaced rights only: no ClusterRole.
func Manifests(o ManifestOptions) ([]byte, error) {
	if o.Image == "" || o.Namespace == "" || len(o.EnvNamespaces) == 0 {
		return nil, errors.New("guard manifests need an image, a namespace and the environments' namespaces")
	}
	objs := []any{configMap(o), serviceAccount(o), deployment(o)}
	for _, ns := range roleNamespaces(o) {
		objs = append(objs, role(o, ns), roleBinding(o, ns))
	}
	var b bytes.Buffer
	for _, obj := range objs {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, err
		}
		// Fields a typed object always carries, empty: noise to a reader.
		delete(m, "status")
		unstructured.RemoveNestedField(m, "spec", "strategy")
		y, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes(), nil
}

func roleNamespaces(o ManifestOptions) []string {
	ns := slices.Clone(o.EnvNamespaces)
	if !slices.Contains(ns, o.Namespace) {
		ns = append(ns, o.Namespace)
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

func meta(o ManifestOptions, ns string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: manifestName, Namespace: ns, Labels: map[string]string{
		"app.kubernetes.io/name": manifestName, "promote.kubectl-plugin.dev/pipeline": o.Pipeline,
	}}
}

func configMap(o ManifestOptions) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta(o, o.Namespace),
		Data:       map[string]string{"promote.yaml": string(o.PipelineFile)},
	}
}

func serviceAccount(o ManifestOptions) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta(o, o.Namespace)}
}

func deployment(o ManifestOptions) *appsv1.Deployment {
	m := meta(o, o.Namespace)
	sel := map[string]string{"app.kubernetes.io/name": manifestName}
	args := append([]string{"guard", "-f", pipelinePath, "--log-format", "json",
		"--metrics-address", ":8080", "--leader-elect-namespace", o.Namespace}, o.Args...)
	probe := func(path string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(metricsPort)}}}
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: m,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: m.Labels, Annotations: map[string]string{
					"prometheus.io/scrape": "true", "prometheus.io/port": "8080",
				}},
				Spec: corev1.PodSpec{
					ServiceAccountName: manifestName,
					// An undo in progress goes on after SIGTERM, bounded by
					// health.undoTimeout; give it time before SIGKILL.
					TerminationGracePeriodSeconds: ptr.To[int64](300),
					SecurityContext:               &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
					Containers: []corev1.Container{{
						Name: "guard", Image: o.Image, Args: args,
						Ports:          []corev1.ContainerPort{{Name: "metrics", ContainerPort: metricsPort}},
						LivenessProbe:  probe("/healthz"),
						ReadinessProbe: probe("/readyz"),
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: []corev1.VolumeMount{{Name: "pipeline", MountPath: "/etc/kubectl-promote", ReadOnly: true}},
					}},
					Volumes: []corev1.Volume{{Name: "pipeline", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: manifestName}},
					}}},
				},
			},
		},
	}
}

// Rules are the rights the guard needs in an environment's namespace: those
// of a deploy (docs/rbac-role.yaml), since its undo re-applies a release
// whole. Add the kinds your application renders, as for that Role.
func Rules() []rbacv1.PolicyRule {
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	read := []string{"get", "list", "watch"}
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps", "services"}, Verbs: all},
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: read},
		{APIGroups: []string{"apps"}, Resources: []string{"replicasets", "controllerrevisions"}, Verbs: read},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch", "create", "update", "delete"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets"}, Verbs: all},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: all},
	}
}

func role(o ManifestOptions, ns string) *rbacv1.Role {
	rules := Rules()
	if !slices.Contains(o.EnvNamespaces, ns) {
		// The guard's own namespace, not an environment's: the leader Lease only.
		rules = rules[3:4]
	}
	return &rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}, ObjectMeta: meta(o, ns), Rules: rules}
}

func roleBinding(o ManifestOptions, ns string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: meta(o, ns),
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: manifestName},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: manifestName, Namespace: o.Namespace}},
	}
}
