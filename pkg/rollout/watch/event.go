package watch

import "time"

// Event types.
const (
	// EventProgress reports a change in the status of the watched objects.
	EventProgress = "progress"
	// EventFailure reports the failure Watch is about to return.
	EventFailure = "failure"
	// EventVerifying reports that everything is Current and the Verify
	// window has begun.
	EventVerifying = "verifying"
	// EventHealthy reports success: the Verify window passed.
	EventHealthy = "healthy"
	// EventInfo reports something worth knowing that is no failure, such
	// as a lost and restored connection to the apiserver.
	EventInfo = "info"
)

// Event is one step of a watch, for progress output (-o jsonl) and for
// measuring detection latency.
type Event struct {
	// Time is when it happened; for a failure, when the failing status was
	// first observed.
	Time time.Time `json:"time"`
	// Type is one of the Event* constants.
	Type string `json:"type"`
	// Object is the object concerned, "Kind/namespace/name", if one.
	Object string `json:"object,omitempty"`
	// Message says what happened.
	Message string `json:"message,omitempty"`
	// Workloads is the status of the workloads and of every object not
	// yet Current (progress, verifying and healthy events).
	Workloads []WorkloadStatus `json:"workloads,omitempty"`
}

// WorkloadStatus is the status of one watched object.
type WorkloadStatus struct {
	// Object is "Kind/namespace/name".
	Object string `json:"object"`
	// Desired, Updated, Ready and Available count replicas (pods); they
	// stay zero for kinds without pods. For a Job, Desired is its
	// completions, Ready its ready pods and Available its succeeded pods.
	Desired   int32 `json:"desired"`
	Updated   int32 `json:"updated"`
	Ready     int32 `json:"ready"`
	Available int32 `json:"available"`
	// Status is kstatus's: InProgress, Current, Failed, Terminating,
	// NotFound or Unknown.
	Status string `json:"status"`
	// Message is kstatus's short message, such as "Ready: 2/3".
	Message string `json:"message,omitempty"`
}
