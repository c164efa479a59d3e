package release

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StateKey is the ConfigMap data key holding the JSON of a State.
const StateKey = "state"

// The strategies a release record or rollout state names.
const (
	StrategyRolling   = "rolling"
	StrategyCanary    = "canary"
	StrategyBlueGreen = "blueGreen"
)

// State is where a canary or blue-green rollout stands, kept in the cluster
// so that another machine can show, resume or abort it.
type State struct {
	// Strategy is StrategyCanary or StrategyBlueGreen.
	Strategy string `json:"strategy"`
	Phase    string `json:"phase,omitempty"`
	Step     int    `json:"step"`
	Steps    int    `json:"steps"`
	// Weights maps a track to its share of traffic in percent, e.g. "canary": 20.
	Weights        map[string]int `json:"weights,omitempty"`
	Paused         bool           `json:"paused,omitempty"`
	PauseReason    string         `json:"pauseReason,omitempty"`
	PauseStarted   time.Time      `json:"pauseStarted,omitzero"`
	StableRevision int            `json:"stableRevision,omitempty"`
	CanaryRevision int            `json:"canaryRevision,omitempty"`
	Message        string         `json:"message,omitempty"`
	Updated        time.Time      `json:"updated,omitzero"`
	// BlueGreen is the blue-green part of the state; nil for a canary.
	BlueGreen *BlueGreenState `json:"blueGreen,omitempty"`
	// Request is what another process asked of the one driving the
	// rollout, not yet acted on; nil for none.
	Request *Request `json:"request,omitempty"`
}

// BlueGreenState is where a blue-green rollout stands.
type BlueGreenState struct {
	// From is the colour that served before ("" for a first release or a
	// plain Deployment), FromHash its pod template hash.
	From     string `json:"from,omitempty"`
	FromHash string `json:"fromHash,omitempty"`
	// To is the colour the new release runs in.
	To string `json:"to,omitempty"`
	// ScaleDownAt is when the old colour is scaled down, once switched.
	ScaleDownAt time.Time `json:"scaleDownAt,omitzero"`
}

// RequestKind is what `resume` or `abort` asks.
type RequestKind string

// The requests another process can make of a rollout.
const (
	RequestResume RequestKind = "resume"
	RequestAbort  RequestKind = "abort"
)

// Request is one request of `kubectl promote resume` or `abort`.
type Request struct {
	Kind RequestKind `json:"kind"`
	// By names who asked (a Holder's string).
	By string `json:"by,omitempty"`
	// At tells requests apart: the driver acts on each once.
	At time.Time `json:"at"`
}

// stateRef names the state ConfigMap for errors.
func (s *Store) stateRef() string {
	return "ConfigMap/" + s.namespace + "/" + StateName(s.pipeline, s.environment)
}

// State returns the rollout state and its resourceVersion, to pass to
// SaveState. No state is nil, "" and no error.
func (s *Store) State(ctx context.Context) (*State, string, error) {
	if err := checkNames(s.namespace, s.pipeline, s.environment); err != nil {
		return nil, "", err
	}
	cm, err := s.client.CoreV1().ConfigMaps(s.namespace).Get(ctx, StateName(s.pipeline, s.environment), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, "", nil
	case err != nil:
		return nil, "", fmt.Errorf("%s: get rollout state: %w", s.stateRef(), err)
	}
	var st State
	if err := json.Unmarshal([]byte(cm.Data[StateKey]), &st); err != nil {
		return nil, "", fmt.Errorf("%s: corrupt rollout state in %q: %w", s.stateRef(), StateKey, err)
	}
	return &st, cm.ResourceVersion, nil
}

// SaveState writes st, stamping st.Updated, only if the state is still at
// resourceVersion ("" meaning there was none), and returns the new
// resourceVersion. If it changed or was cleared meanwhile, the error wraps
// ErrConflict: someone else drives the rollout; read it again.
func (s *Store) SaveState(ctx context.Context, st *State, resourceVersion string) (string, error) {
	if err := checkNames(s.namespace, s.pipeline, s.environment); err != nil {
		return "", err
	}
	st.Updated = s.now().Time
	data, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("%s: encode rollout state: %w", s.stateRef(), err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:            StateName(s.pipeline, s.environment),
			Namespace:       s.namespace,
			Labels:          ownerLabels(s.pipeline, s.environment),
			ResourceVersion: resourceVersion,
		},
		Data: map[string]string{StateKey: string(data)},
	}
	cms := s.client.CoreV1().ConfigMaps(s.namespace)
	var saved *corev1.ConfigMap
	if resourceVersion == "" {
		saved, err = cms.Create(ctx, cm, metav1.CreateOptions{FieldManager: fieldManager})
	} else {
		saved, err = cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: fieldManager})
	}
	switch {
	case apierrors.IsConflict(err), apierrors.IsAlreadyExists(err), apierrors.IsNotFound(err):
		return "", fmt.Errorf("%s: %w (read at resourceVersion %q); another kubectl promote may be driving this rollout: read the state again",
			s.stateRef(), ErrConflict, resourceVersion)
	case err != nil:
		return "", fmt.Errorf("%s: save rollout state: %w", s.stateRef(), err)
	}
	return saved.ResourceVersion, nil
}

// ClearState deletes the rollout state; no state is no error.
func (s *Store) ClearState(ctx context.Context) error {
	if err := checkNames(s.namespace, s.pipeline, s.environment); err != nil {
		return err
	}
	err := s.client.CoreV1().ConfigMaps(s.namespace).Delete(ctx, StateName(s.pipeline, s.environment), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: clear rollout state: %w", s.stateRef(), err)
	}
	return nil
}
