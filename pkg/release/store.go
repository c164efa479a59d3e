package release

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"

	"github.com/kubectl-promote/kubectl-promote/pkg/diff"
	"github.com/kubectl-promote/kubectl-promote/pkg/kube"
)

// Store reads and writes the release records and rollout state of one
// pipeline's environment in one namespace.
type Store struct {
	client      kubernetes.Interface
	namespace   string
	pipeline    string
	environment string
	// Clock stamps State.Updated; nil means the real clock.
	Clock clock.PassiveClock
}

// NewStore returns the Store of environment of pipeline, kept in namespace.
// Names are checked by each call, which then fails before any request.
func NewStore(client kubernetes.Interface, namespace, pipeline, environment string) *Store {
	return &Store{client: client, namespace: namespace, pipeline: pipeline, environment: environment}
}

// Namespace returns the namespace the records are kept in.
func (s *Store) Namespace() string { return s.namespace }

// SecretName returns the name of the record Secret of revision.
func (s *Store) SecretName(revision int) string {
	return SecretName(s.pipeline, s.environment, revision)
}

// ref names the Secret of revision for errors: "Secret/namespace/name".
func (s *Store) ref(revision int) string {
	return "Secret/" + s.namespace + "/" + s.SecretName(revision)
}

func (s *Store) now() metav1.Time {
	if s.Clock == nil {
		return metav1.Now()
	}
	return metav1.NewTime(s.Clock.Now())
}

// Next returns the revision number the next release gets: one more than the
// highest kept. Two promotions holding no lock could both get the same
// number; the second Create then fails with ErrExists.
func (s *Store) Next(ctx context.Context) (int, error) {
	items, err := s.list(ctx)
	if err != nil {
		return 0, err
	}
	if len(items) == 0 {
		return 1, nil
	}
	return items[0].revision + 1, nil
}

// Create stores r as a new record. Empty Pipeline, Environment and
// Namespace are filled from the Store, an empty Status becomes Progressing.
func (s *Store) Create(ctx context.Context, r *Record) error {
	sec, err := s.secretFor(r)
	if err != nil {
		return err
	}
	_, err = s.client.CoreV1().Secrets(s.namespace).Create(ctx, sec, metav1.CreateOptions{FieldManager: fieldManager})
	switch {
	case apierrors.IsAlreadyExists(err):
		return fmt.Errorf("%s: %w: another promotion took revision %d at the same time; retry", s.ref(r.Revision), ErrExists, r.Revision)
	case err != nil:
		return fmt.Errorf("%s: create release record: %w", s.ref(r.Revision), err)
	}
	return nil
}

// Update replaces the stored record of r.Revision with r and brings the
// status label in line. Labels and annotations added by others are kept.
func (s *Store) Update(ctx context.Context, r *Record) error {
	want, err := s.secretFor(r)
	if err != nil {
		return err
	}
	secrets := s.client.CoreV1().Secrets(s.namespace)
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live, err := secrets.Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if live.Labels == nil {
			live.Labels = map[string]string{}
		}
		for k, v := range want.Labels {
			live.Labels[k] = v
		}
		live.Data = want.Data
		_, err = secrets.Update(ctx, live, metav1.UpdateOptions{FieldManager: fieldManager})
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s: %w; create it first", s.ref(r.Revision), ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s: update release record: %w", s.ref(r.Revision), err)
	}
	return nil
}

// secretFor checks r, fills its owner fields and encodes it as a Secret.
func (s *Store) secretFor(r *Record) (*corev1.Secret, error) {
	if err := s.fill(r); err != nil {
		return nil, err
	}
	redactReasons(r)
	data, raw, err := encode(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.ref(r.Revision), err)
	}
	if len(data) > MaxRecordSize {
		return nil, tooLarge(s.ref(r.Revision), r, len(data), raw)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      s.SecretName(r.Revision),
			Namespace: s.namespace,
			Labels:    recordLabels(r),
		},
		Type: SecretType,
		Data: map[string][]byte{DataKey: data},
	}, nil
}

// redactReasons hides the Secret values this process knows in r's reason,
// failure message and hook runs' reasons. Reasons come from errors, which may echo values (an
// apiserver or webhook quoting a field); history, status and CI output
// print them.
func redactReasons(r *Record) {
	red := diff.Known()
	r.Reason = red.String(r.Reason)
	if r.Failure != nil {
		r.Failure.Message = red.String(r.Failure.Message)
	}
	for i := range r.HookRuns {
		r.HookRuns[i].Reason = red.String(r.HookRuns[i].Reason)
	}
}

// fill checks that r belongs to this Store and completes its owner fields.
func (s *Store) fill(r *Record) error {
	if err := checkNames(s.namespace, s.pipeline, s.environment); err != nil {
		return err
	}
	if r.Revision < 1 {
		return fmt.Errorf("release record of %s/%s: revision %d: must be 1 or more", s.pipeline, s.environment, r.Revision)
	}
	for _, f := range []struct {
		what      string
		got, want *string
	}{
		{"pipeline", &r.Pipeline, &s.pipeline},
		{"environment", &r.Environment, &s.environment},
		{"namespace", &r.Namespace, &s.namespace},
	} {
		if *f.got == "" {
			*f.got = *f.want
		} else if *f.got != *f.want {
			return fmt.Errorf("%s: record is for %s %q, this store for %q", s.ref(r.Revision), f.what, *f.got, *f.want)
		}
	}
	if r.Status == "" {
		r.Status = Progressing
	}
	if !r.Status.Valid() {
		return fmt.Errorf("%s: unknown status %q; one of %v", s.ref(r.Revision), r.Status, Statuses)
	}
	return nil
}

// Get returns the record of revision; ErrNotFound if there is none.
func (s *Store) Get(ctx context.Context, revision int) (*Record, error) {
	if err := checkNames(s.namespace, s.pipeline, s.environment); err != nil {
		return nil, err
	}
	sec, err := s.client.CoreV1().Secrets(s.namespace).Get(ctx, s.SecretName(revision), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("%s: %w: %s has no revision %d", s.ref(revision), ErrNotFound, s.environment, revision)
	case err != nil:
		return nil, fmt.Errorf("%s: get release record: %w", s.ref(revision), err)
	}
	return s.decodeSecret(sec)
}

// List returns every kept record, newest first.
func (s *Store) List(ctx context.Context) ([]*Record, error) {
	items, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Record, 0, len(items))
	for _, it := range items {
		r, err := s.decodeSecret(it.secret)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Latest returns the newest record whose status is one of statuses (any
// status when none is given), or nil and no error when there is none.
// Only that one record is decoded.
func (s *Store) Latest(ctx context.Context, statuses ...Status) (*Record, error) {
	items, err := s.list(ctx, statuses...)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	return s.decodeSecret(items[0].secret)
}

// decodeSecret decodes a record Secret, naming it on failure.
func (s *Store) decodeSecret(sec *corev1.Secret) (*Record, error) {
	if sec.Type != SecretType {
		return nil, fmt.Errorf("%s: type %q is not a release record (%s)", secretRef(sec), sec.Type, SecretType)
	}
	r, err := decode(sec.Data[DataKey])
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt release record: %w", secretRef(sec), err)
	}
	// The manifest may hold Secrets: what this process prints must hide
	// their values too (warnings, logs, errors of an undo), and so must a
	// reason written by a version that did not redact it.
	diff.LearnManifest(r.Manifest)
	redactReasons(r)
	return r, nil
}

// item is a listed record Secret with its labels parsed.
type item struct {
	secret   *corev1.Secret
	revision int
	status   Status
}

// list lists the record Secrets, narrowed to statuses, newest first.
func (s *Store) list(ctx context.Context, statuses ...Status) ([]item, error) {
	if err := checkNames(s.namespace, s.pipeline, s.environment); err != nil {
		return nil, err
	}
	sel, err := selector(s.pipeline, s.environment, statuses...)
	if err != nil {
		return nil, err
	}
	list, err := s.client.CoreV1().Secrets(s.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: sel,
		FieldSelector: fields.OneTermEqualSelector("type", SecretType).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("list release records of %s/%s in namespace %s: %w", s.pipeline, s.environment, s.namespace, err)
	}
	items := make([]item, 0, len(list.Items))
	for i := range list.Items {
		sec := &list.Items[i]
		rev, err := strconv.Atoi(sec.Labels[LabelRevision])
		if err != nil || rev < 1 || sec.Name != s.SecretName(rev) {
			return nil, fmt.Errorf("%s: label %s=%q does not match the name; fix or delete this Secret",
				secretRef(sec), LabelRevision, sec.Labels[LabelRevision])
		}
		items = append(items, item{secret: sec, revision: rev, status: Status(sec.Labels[LabelStatus])})
	}
	slices.SortFunc(items, func(a, b item) int { return b.revision - a.revision })
	return items, nil
}

// secretRef names a record Secret as every error names an object.
func secretRef(sec *corev1.Secret) kube.ObjectRef {
	return kube.ObjectRef{Version: "v1", Kind: "Secret", Namespace: sec.Namespace, Name: sec.Name}
}
