package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// LabelCheck names the check on the Jobs that job checks create.
const LabelCheck = "promote.kubectl-plugin.dev/analysis"

// JobPoll is how often a job check reads its Job.
var JobPoll = 250 * time.Millisecond

// job runs a Kubernetes Job per measurement: Complete passes, Failed fails.
type job struct {
	kube      kubernetes.Interface
	namespace string
	check     string
	spec      batchv1.JobSpec
}

func newJob(check string, j *pipeline.JobProvider, vars Vars, kube kubernetes.Interface) (*job, error) {
	if kube == nil {
		return nil, errors.New("job: no cluster client")
	}
	var spec batchv1.JobSpec
	if err := json.Unmarshal(vars.ExpandJSON(j.Spec), &spec); err != nil {
		return nil, fmt.Errorf("job.spec is not a batch/v1 JobSpec: %w", err)
	}
	if spec.Template.Spec.RestartPolicy == "" {
		spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	}
	return &job{kube: kube, namespace: vars.Namespace, check: check, spec: spec}, nil
}

func (j *job) measure(ctx context.Context) (any, Phase, error) {
	obj := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: jobPrefix(j.check),
			Labels:       map[string]string{LabelCheck: labelValue(j.check)},
		},
		Spec: *j.spec.DeepCopy(),
	}
	created, err := j.kube.BatchV1().Jobs(j.namespace).Create(ctx, obj, metav1.CreateOptions{FieldManager: "kubectl-promote"})
	if err != nil {
		return nil, "", fmt.Errorf("job: create in %s: %w", j.namespace, err)
	}
	ref := "Job/" + j.namespace + "/" + created.Name
	defer j.cleanup(ctx, created.Name)
	for {
		done, value, phase, err := j.outcome(ctx, created.Name)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", ref, err)
		}
		if done {
			return ref + ": " + value, phase, nil
		}
		select {
		case <-ctx.Done():
			return nil, "", fmt.Errorf("%s: %w", ref, context.Cause(ctx))
		case <-time.After(JobPoll):
		}
	}
}

// outcome reads the Job's Complete or Failed condition.
func (j *job) outcome(ctx context.Context, name string) (bool, string, Phase, error) {
	got, err := j.kube.BatchV1().Jobs(j.namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return false, "", "", err
	}
	for _, c := range got.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return true, "Complete", Successful, nil
		case batchv1.JobFailed:
			return true, strings.TrimSpace("Failed " + c.Reason + ": " + c.Message), Failed, nil
		}
	}
	return false, "", "", nil
}

// cleanup deletes the Job and its pods, also when the rollout was
// cancelled.
func (j *job) cleanup(ctx context.Context, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	bg := metav1.DeletePropagationBackground
	_ = j.kube.BatchV1().Jobs(j.namespace).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
}

// jobPrefix is "analysis-<check>-" in DNS-label characters, cut to leave
// room for the random suffix.
func jobPrefix(check string) string {
	b := []byte("analysis-" + strings.ToLower(check))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '-'
		}
	}
	p := string(b)
	if len(p) > 50 {
		p = p[:50]
	}
	return strings.TrimRight(p, "-") + "-"
}

func labelValue(s string) string {
	if len(validation.IsValidLabelValue(s)) == 0 {
		return s
	}
	return "invalid"
}
