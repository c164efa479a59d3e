package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/internal/testutil"
	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
	"github.com/kubectl-promote/kubectl-promote/test/localcluster"
)

// realApp is an application laid out the way teams lay out their own
// repositories, rather than the way our examples are: bases per component
// under deploy/bases, one overlay per environment under deploy/overlays,
// each overlay setting its own namespace and holding its Namespace object.
type realApp struct {
	t       *testing.T
	dir     string // the repository; promote.yaml is written here by init
	prefix  string // unique per run, so the test runs beside others
	client  kubernetes.Interface
	kubecfg string
}

// realEnvs are the overlays, in promotion order.
var realEnvs = []string{"dev", "staging", "production"}

// The workloads that run the application's images (the Job and the
// CronJob run other images, see writeRelease).
var realWorkloads = []string{"Deployment/web", "Deployment/api", "StatefulSet/db"}

func newRealApp(t *testing.T) *realApp {
	t.Helper()
	c := localcluster.Shared(t)
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	a := &realApp{t: t, dir: filepath.Join(t.TempDir(), "shop"), prefix: "ra-" + hex.EncodeToString(b),
		client: client, kubecfg: c.Kubeconfig}
	t.Cleanup(a.cleanup)
	a.writeLayout()
	a.createVolumes()
	return a
}

// ns is the namespace the overlay of env sets.
func (a *realApp) ns(env string) string { return a.prefix + "-" + env }

// cleanup deletes what the run created outside its namespaces too.
func (a *realApp) cleanup() {
	ctx := context.WithoutCancel(a.t.Context())
	for _, env := range realEnvs {
		_ = a.client.CoreV1().Namespaces().Delete(ctx, a.ns(env), metav1.DeleteOptions{})
		for i := range 2 {
			_ = a.client.CoreV1().PersistentVolumes().Delete(ctx, a.pvName(env, i), metav1.DeleteOptions{})
		}
	}
}

// writeLayout writes everything but the per-release files.
func (a *realApp) writeLayout() {
	a.t.Helper()
	files := map[string]string{
		"deploy/bases/web/kustomization.yaml": kustomization + `resources: [deployment.yaml, service.yaml, hpa.yaml]
configMapGenerator:
- name: web-config
  files: [config/nginx.conf]
`,
		"deploy/bases/web/config/nginx.conf": "server { listen 8080; location / { proxy_pass http://api; } }\n",
		"deploy/bases/web/deployment.yaml":   deployment("web", "web-config"),
		"deploy/bases/web/service.yaml":      service("web"),
		"deploy/bases/web/hpa.yaml":          hpa("web"),
		"deploy/bases/api/kustomization.yaml": kustomization + `resources: [deployment.yaml, service.yaml, hpa.yaml]
configMapGenerator:
- name: api-config
  files: [config/application.properties, config/logging.properties]
`,
		"deploy/bases/api/config/application.properties": "db.host=db\ndb.port=5432\n",
		"deploy/bases/api/config/logging.properties":     "level=info\n",
		"deploy/bases/api/deployment.yaml":               deployment("api", "api-config"),
		"deploy/bases/api/service.yaml":                  service("api"),
		"deploy/bases/api/hpa.yaml":                      hpa("api"),
		"deploy/bases/db/kustomization.yaml": kustomization + `resources: [statefulset.yaml, service.yaml]
configMapGenerator:
- name: db-config
  files: [config/postgresql.conf]
`,
		"deploy/bases/db/config/postgresql.conf": "max_connections = 100\n",
		"deploy/bases/db/statefulset.yaml":       statefulSet,
		"deploy/bases/db/service.yaml":           "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  clusterIP: None\n  selector: {app: db}\n  ports: [{port: 5432}]\n",
		"deploy/bases/jobs/kustomization.yaml":   kustomization + "resources: [report-cronjob.yaml, migrate-job.yaml]\n",
		"deploy/bases/jobs/report-cronjob.yaml":  cronJob,
	}
	for _, env := range realEnvs {
		files["deploy/overlays/"+env+"/namespace.yaml"] = "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + a.ns(env) + "}\n"
	}
	testutil.WriteFiles(a.t, a.dir, files)
}

// writeRelease writes the per-release files: the images dev runs (the
// other overlays get theirs by promotion) and the migration Job.
//
// A Job's pod template is immutable, so the Job is named after the release
// (migrate-1-0-0): each release creates a new Job, and the previous
// release's Job is pruned with the rest of what it no longer renders. Its
// image is the release's migrate image, without the fate suffix of the
// application's images, so the migration always completes.
func (a *realApp) writeRelease(version, appTag string) {
	a.t.Helper()
	files := map[string]string{
		"deploy/bases/jobs/migrate-job.yaml": fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata: {name: migrate-%s}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: registry.example.com/shop/migrate:%s
        args: [migrate, up]
`, strings.ReplaceAll(version, ".", "-"), version),
	}
	images := map[string]string{"web": appTag, "api": appTag, "db": appTag, "migrate": version, "report": version}
	for _, env := range realEnvs {
		k := kustomization + "namespace: " + a.ns(env) + "\nresources:\n- namespace.yaml\n- ../../bases/web\n- ../../bases/api\n- ../../bases/db\n- ../../bases/jobs\n"
		k += "labels:\n- pairs: {environment: " + env + "}\n"
		if env == "dev" || version == "1.0.0" {
			// The first release is in every overlay, as when the
			// repository is set up; later ones only in dev.
			k += "images:\n"
			for _, name := range []string{"api", "db", "migrate", "report", "web"} {
				k += fmt.Sprintf("- {name: registry.example.com/shop/%s, newTag: %q}\n", name, images[name])
			}
		} else if old, err := os.ReadFile(filepath.Join(a.dir, "deploy/overlays", env, "kustomization.yaml")); err == nil {
			k = string(old)
		}
		files["deploy/overlays/"+env+"/kustomization.yaml"] = k
	}
	testutil.WriteFiles(a.t, a.dir, files)
}

func deployment(name, config string) string {
	// replicas equals the HPA's minReplicas: with no metrics server the
	// HPA cannot compute a recommendation and keeps what is there.
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata:
      labels: {app: %[1]s}
      annotations: {promote.test/crash-after: %[3]s}
    spec:
      containers:
      - name: %[1]s
        image: registry.example.com/shop/%[1]s:0.0.0
        resources: {requests: {cpu: 100m}}
        volumeMounts: [{name: config, mountPath: /etc/%[1]s}]
      volumes:
      - name: config
        configMap: {name: %[2]s}
`, name, config, crashAfter)
}

func service(name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata: {name: %[1]s}\nspec:\n  selector: {app: %[1]s}\n  ports: [{port: 80, targetPort: 8080}]\n", name)
}

func hpa(name string) string {
	return fmt.Sprintf(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: %[1]s}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %[1]s}
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
`, name)
}

const statefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db}
      annotations: {promote.test/crash-after: ` + dbCrashAfter + `}
    spec:
      containers:
      - name: db
        image: registry.example.com/shop/db:0.0.0
        volumeMounts:
        - {name: data, mountPath: /var/lib/postgresql/data}
        - {name: config, mountPath: /etc/postgresql}
      volumes:
      - name: config
        configMap: {name: db-config}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`

// The report runs once a year, so that no Job of it starts during the test.
const cronJob = `apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "0 3 1 1 *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: report
            image: registry.example.com/shop/report:0.0.0
`

// Timing of the bad release. Its images end in -late-crash (see
// docs/localcluster.md): its pods are Ready first and crash-loop
// crashAfter later. A release whose pods crash-loop at once never gets
// past dev, whose own watch undoes it; this one is the release that looks
// healthy in dev (verify 1s, for fast feedback) and is caught in staging,
// whose verify window is longer than crashAfter. The upstream gate of that
// promotion looks at dev right after dev's apply, well within crashAfter.
//
// The db's pods crash first (dbCrashAfter), so that staging catches the
// failure on the StatefulSet and its undo finds a pod of the failed
// revision that is not Ready: the case the StatefulSet controller never
// repairs by itself (Kubernetes' "forced rollback"), which the undo must.
const (
	crashAfter    = "15s"
	dbCrashAfter  = "12s"
	stagingVerify = "25s"
)

// pvName is the PersistentVolume made for claim data-db-<i> of env.
func (a *realApp) pvName(env string, i int) string {
	return fmt.Sprintf("%s-%s-data-db-%d", a.prefix, env, i)
}

// createVolumes pre-binds one PersistentVolume to each claim the db
// StatefulSet will make. The local cluster has no storage provisioner and
// no StorageClass, so a claim from a volumeClaimTemplate stays Pending and
// the scheduler keeps its pod Pending ("unbound immediate
// PersistentVolumeClaims"), as on any cluster without dynamic
// provisioning. An administrator then creates volumes by hand, which is
// what this does. Each volume names its claim (spec.claimRef), so that no
// other test's claim on the shared cluster can take it; the PV controller
// binds the pair as soon as the claim exists. The hostPath source is never
// mounted: kwok's nodes run no kubelet.
func (a *realApp) createVolumes() {
	a.t.Helper()
	for _, env := range realEnvs {
		for i := range 2 {
			pv := &corev1.PersistentVolume{
				ObjectMeta: metav1.ObjectMeta{Name: a.pvName(env, i)},
				Spec: corev1.PersistentVolumeSpec{
					Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
					AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
					ClaimRef:                      &corev1.ObjectReference{Namespace: a.ns(env), Name: fmt.Sprintf("data-db-%d", i)},
					PersistentVolumeSource: corev1.PersistentVolumeSource{
						HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/realapp/" + a.pvName(env, i)},
					},
				},
			}
			if _, err := a.client.CoreV1().PersistentVolumes().Create(a.t.Context(), pv, metav1.CreateOptions{}); err != nil {
				a.t.Fatal(err)
			}
		}
	}
}

// run runs the binary in the repository; deploying commands get a short
// lock lease, like the other e2e tests.
func (a *realApp) run(args ...string) result {
	a.t.Helper()
	args = append(args, "--kubeconfig", a.kubecfg)
	if args[0] != "init" && args[0] != "history" {
		args = append(args, "--lock-lease", "3s")
	}
	return promote(a.t, a.dir, args...)
}

// mustRun runs the binary and requires exit code want.
func (a *realApp) mustRun(want int, args ...string) result {
	a.t.Helper()
	start := time.Now()
	r := a.run(args...)
	a.t.Logf("%v: exit %d in %s", args, r.code, time.Since(start).Round(100*time.Millisecond))
	mustExit(a.t, r, want)
	return r
}

// initPipeline runs init, checks that it took each overlay's namespace,
// and sets short health windows in the written file (a person tunes them
// the same way).
func (a *realApp) initPipeline() {
	a.t.Helper()
	r := promote(a.t, a.dir, "init")
	mustExit(a.t, r, 0)
	a.t.Logf("init:\n%s", r.stderr)
	p, err := pipeline.Load(filepath.Join(a.dir, "promote.yaml"))
	if err != nil {
		a.t.Fatal(err)
	}
	var got []string
	for i := range p.Spec.Environments {
		e := &p.Spec.Environments[i]
		got = append(got, e.Name+"="+e.Namespace)
		if e.Namespace != a.ns(e.Name) {
			a.t.Errorf("init: environment %s in namespace %q, want %q, the overlay's", e.Name, e.Namespace, a.ns(e.Name))
		}
		if !strings.Contains(r.stderr, a.ns(e.Name)) {
			a.t.Errorf("init's summary does not name namespace %s", a.ns(e.Name))
		}
		verify := pipeline.Duration(time.Second)
		if e.Name == "staging" {
			d, _ := time.ParseDuration(stagingVerify)
			verify = pipeline.Duration(d)
		}
		e.Health = pipeline.Health{Timeout: pipeline.Duration(50 * time.Second), UndoTimeout: pipeline.Duration(50 * time.Second),
			Verify: verify, RestartLimit: 2, UnschedulableGrace: pipeline.Duration(10 * time.Second)}
	}
	if want := "dev=" + a.ns("dev") + " staging=" + a.ns("staging") + " production=" + a.ns("production"); strings.Join(got, " ") != want {
		a.t.Fatalf("init wrote %v, want %s", got, want)
	}
	b, err := pipeline.Marshal(p, "")
	if err != nil {
		a.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.dir, "promote.yaml"), b, 0o644); err != nil {
		a.t.Fatal(err)
	}
}

// workloads is each workload's image in env and whether it is Ready: every
// replica ready and updated, the controller at its latest generation.
func (a *realApp) workloads(ctx context.Context, env string) map[string]string {
	a.t.Helper()
	ns := a.ns(env)
	got := map[string]string{}
	for _, name := range []string{"web", "api"} {
		d, err := a.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			a.t.Fatal(err)
		}
		s := d.Status
		ready := d.Generation == s.ObservedGeneration && s.UpdatedReplicas == *d.Spec.Replicas &&
			s.ReadyReplicas == *d.Spec.Replicas && s.Replicas == *d.Spec.Replicas
		got["Deployment/"+name] = readiness(d.Spec.Template.Spec.Containers[0].Image, ready)
	}
	s, err := a.client.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
	if err != nil {
		a.t.Fatal(err)
	}
	st := s.Status
	ready := s.Generation == st.ObservedGeneration && st.UpdateRevision == st.CurrentRevision &&
		st.ReadyReplicas == *s.Spec.Replicas && st.UpdatedReplicas == *s.Spec.Replicas
	got["StatefulSet/db"] = readiness(s.Spec.Template.Spec.Containers[0].Image, ready)
	return got
}

func readiness(image string, ready bool) string {
	if ready {
		return image + " Ready"
	}
	return image + " not Ready"
}

// podImages are the images the pods of app in env run, pod by pod.
func (a *realApp) podImages(ctx context.Context, env, app string) []string {
	a.t.Helper()
	pods, err := a.client.CoreV1().Pods(a.ns(env)).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		a.t.Fatal(err)
	}
	var images []string
	for _, p := range pods.Items {
		images = append(images, p.Name+"="+p.Spec.Containers[0].Image)
	}
	return images
}

// mustRunRelease requires every workload of env on tag and Ready, and
// every pod of them on tag.
func (a *realApp) mustRunRelease(env, tag string) {
	a.t.Helper()
	ctx := a.t.Context()
	got := a.workloads(ctx, env)
	for _, w := range realWorkloads {
		name := strings.Split(w, "/")[1]
		want := "registry.example.com/shop/" + name + ":" + tag + " Ready"
		if got[w] != want {
			a.t.Errorf("%s: %s in %s is %q, want %q", env, w, a.ns(env), got[w], want)
		}
		for _, p := range a.podImages(ctx, env, name) {
			if !strings.HasSuffix(p, ":"+tag) {
				a.t.Errorf("%s: pod %s, want tag %s", env, p, tag)
			}
		}
	}
}

// mustHaveJobs requires the release's migration Job to be the only one
// and complete, the CronJob to exist, and the db's claims to be bound.
func (a *realApp) mustHaveJobs(env, version string) {
	a.t.Helper()
	ctx := a.t.Context()
	ns := a.ns(env)
	jobs, err := a.client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		a.t.Fatal(err)
	}
	var names []string
	for _, j := range jobs.Items {
		names = append(names, fmt.Sprintf("%s(succeeded=%d)", j.Name, j.Status.Succeeded))
	}
	if want := "migrate-" + strings.ReplaceAll(version, ".", "-") + "(succeeded=1)"; strings.Join(names, " ") != want {
		a.t.Errorf("%s: Jobs %v, want %s", env, names, want)
	}
	if _, err := a.client.BatchV1().CronJobs(ns).Get(ctx, "report", metav1.GetOptions{}); err != nil {
		a.t.Errorf("%s: %v", env, err)
	}
	for i := range 2 {
		c, err := a.client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, fmt.Sprintf("data-db-%d", i), metav1.GetOptions{})
		if err != nil {
			a.t.Errorf("%s: %v", env, err)
		} else if c.Status.Phase != corev1.ClaimBound || c.Spec.VolumeName != a.pvName(env, i) {
			a.t.Errorf("%s: claim %s is %s on %q, want Bound on %s", env, c.Name, c.Status.Phase, c.Spec.VolumeName, a.pvName(env, i))
		}
	}
	for _, name := range []string{"web", "api"} {
		if _, err := a.client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			a.t.Errorf("%s: %v", env, err)
		}
	}
}

// Given an application in its own layout (bases per component, overlays
// that set their namespaces and hold their Namespace objects; a
// StatefulSet with a claim template, Deployments with HPAs, a CronJob, a
// migration Job, ConfigMaps generated from files) and a cluster without
// its namespaces,
// When init writes the pipeline, Then each environment is in its
// overlay's namespace;
// When dev is applied and the release promoted to staging and production,
// and a second release the same way, Then every command exits 0 and every
// environment runs the release, Ready;
// When a release whose pods crash-loop after a while is promoted from dev
// (where it looks healthy) to staging, Then staging catches it and undoes
// it: exit 4, every workload, the StatefulSet included, back on the
// previous images and Ready.
func TestRealApp(t *testing.T) {
	t.Parallel()
	a := newRealApp(t)
	a.writeRelease("1.0.0", "1.0.0")
	a.initPipeline()
	for _, env := range realEnvs {
		if a.namespaceExists(env) {
			t.Fatalf("namespace %s exists before the first release", a.ns(env))
		}
	}

	first := map[string]result{
		"dev":        a.mustRun(0, "apply", "dev"),
		"staging":    a.mustRun(0, "staging"),
		"production": a.mustRun(0, "production"),
	}
	for _, env := range realEnvs {
		if want := "created Namespace/" + a.ns(env) + " from the render"; !strings.Contains(first[env].stderr, want) {
			t.Errorf("the first release of %s does not say %q:\n%s", env, want, first[env].stderr)
		}
		a.mustRunRelease(env, "1.0.0")
		a.mustHaveJobs(env, "1.0.0")
	}

	a.writeRelease("1.1.0", "1.1.0")
	a.mustRun(0, "apply", "dev")
	a.mustRun(0, "staging", "production")
	for _, env := range realEnvs {
		a.mustRunRelease(env, "1.1.0")
		a.mustHaveJobs(env, "1.1.0")
	}

	a.writeRelease("1.2.0", "1.2.0-late-crash")
	a.mustRun(0, "apply", "dev")
	start := time.Now()
	r := a.run("staging")
	if r.code != 4 {
		a.logStatefulSet("staging")
	}
	mustExit(t, r, 4)
	t.Logf("the crash-looping release was undone in staging %s after the promotion started:\n%s", time.Since(start).Round(100*time.Millisecond), r.stderr)
	a.mustRunRelease("staging", "1.1.0")
	a.mustHaveJobs("staging", "1.1.0")
	a.mustRunRelease("production", "1.1.0")
	if want := "Pod/" + a.ns("staging") + "/db-"; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "CrashLoopBackOff") {
		t.Errorf("the promotion does not name the failure:\n%s", r.stderr)
	}
}

// logStatefulSet logs the db StatefulSet of env and its pods, to tell why
// an undo did not bring it back.
func (a *realApp) logStatefulSet(env string) {
	a.t.Helper()
	ctx := context.WithoutCancel(a.t.Context())
	sts, err := a.client.AppsV1().StatefulSets(a.ns(env)).Get(ctx, "db", metav1.GetOptions{})
	if err != nil {
		a.t.Logf("StatefulSet db: %v", err)
		return
	}
	a.t.Logf("StatefulSet db: generation %d, status %+v", sts.Generation, sts.Status)
	pods, err := a.client.CoreV1().Pods(a.ns(env)).List(ctx, metav1.ListOptions{LabelSelector: "app=db"})
	if err != nil {
		a.t.Logf("pods: %v", err)
		return
	}
	for _, p := range pods.Items {
		a.t.Logf("Pod %s: revision %s, deleting %v, phase %s, conditions %+v, containers %+v",
			p.Name, p.Labels["controller-revision-hash"], p.DeletionTimestamp, p.Status.Phase, p.Status.Conditions, p.Status.ContainerStatuses)
	}
}

// namespaceExists says whether env's namespace exists.
func (a *realApp) namespaceExists(env string) bool {
	a.t.Helper()
	_, err := a.client.CoreV1().Namespaces().Get(a.t.Context(), a.ns(env), metav1.GetOptions{})
	return err == nil
}
