package analysis

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Phase is the verdict of a measurement, a check or a whole analysis.
type Phase string

// The phases, as Argo Rollouts names them.
const (
	Successful   Phase = "Successful"
	Failed       Phase = "Failed"
	Inconclusive Phase = "Inconclusive"
	Error        Phase = "Error"
)

// Measurement is one measured value and its verdict.
type Measurement struct {
	Phase Phase     `json:"phase"`
	Value any       `json:"value,omitempty"`
	Error string    `json:"error,omitempty"`
	Time  time.Time `json:"time"`
	// Why names the condition that decided the verdict.
	Why string `json:"why,omitempty"`
	// Warnings came with the value (Prometheus' API warnings).
	Warnings []string `json:"warnings,omitempty"`
}

// CheckResult is one check's measurements and verdict.
type CheckResult struct {
	Name         string        `json:"name"`
	Phase        Phase         `json:"phase"`
	Message      string        `json:"message,omitempty"`
	Count        int           `json:"count"`
	Measurements []Measurement `json:"measurements"`
}

// Result is the outcome of one analysis, as kept in the release record.
type Result struct {
	// Name says where the analysis ran, e.g. "canary step 2" or "rolling".
	Name     string        `json:"name,omitempty"`
	Phase    Phase         `json:"phase"`
	Message  string        `json:"message"`
	Checks   []CheckResult `json:"checks"`
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
}

// JSON returns r for release.Record.Analysis.
func (r *Result) JSON() json.RawMessage {
	b, err := json.Marshal(r)
	if err != nil {
		// Values come from JSON decoding or are numbers; NaN is the one
		// that does not encode.
		b, _ = json.Marshal(map[string]string{"name": r.Name, "phase": string(r.Phase), "message": r.Message})
	}
	return b
}

// Err returns nil for a successful analysis, else a *Failure.
func (r *Result) Err() error {
	if r.Phase == Successful {
		return nil
	}
	return &Failure{Result: r}
}

// Failure is a failed, erroring or inconclusive analysis. Its message
// carries the measured values.
type Failure struct {
	Result *Result
}

func (f *Failure) Error() string {
	return fmt.Sprintf("analysis %s: %s", strings.ToLower(string(f.Result.Phase)), f.Result.Message)
}

// Inconclusive says whether a person should decide (resume or abort)
// rather than the rollout fail at once.
func (f *Failure) Inconclusive() bool { return f.Result.Phase == Inconclusive }

// worse orders phases by how bad they are for the rollout.
func worse(a, b Phase) Phase {
	rank := map[Phase]int{Successful: 0, Inconclusive: 1, Error: 2, Failed: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
