package release

import "time"

// Summary is a record without what must not be printed (the manifest may
// hold Secrets) or is too long to (inventory, diff): what history shows.
type Summary struct {
	Revision     int          `json:"revision"`
	Status       Status       `json:"status"`
	Source       *Source      `json:"source,omitempty"`
	Artifacts    []Artifact   `json:"artifacts,omitempty"`
	Strategy     string       `json:"strategy,omitempty"`
	User         string       `json:"user,omitempty"`
	Host         string       `json:"host,omitempty"`
	CIJobURL     string       `json:"ciJobURL,omitempty"`
	GitCommit    string       `json:"gitCommit,omitempty"`
	Approver     string       `json:"approver,omitempty"`
	Started      time.Time    `json:"started,omitzero"`
	Finished     time.Time    `json:"finished,omitzero"`
	Duration     string       `json:"duration,omitempty"`
	Reason       string       `json:"reason,omitempty"`
	Failure      *Failure     `json:"failure,omitempty"`
	Gates        []GateResult `json:"gates,omitempty"`
	RolledBackTo int          `json:"rolledBackTo,omitempty"`
	By           string       `json:"by,omitempty"`
	// Objects is how many objects the release applied.
	Objects int `json:"objects"`
	// Origin is the Helm release a takeover came from, without its
	// values (they may hold secrets).
	Origin *Origin `json:"origin,omitempty"`
}

// Summary returns r without its manifest, inventory, diff and analysis.
func (r *Record) Summary() Summary {
	s := Summary{
		Revision: r.Revision, Status: r.Status, Source: r.Source, Artifacts: r.Artifacts,
		Strategy: r.Strategy, User: r.User, Host: r.Host, CIJobURL: r.CIJobURL,
		GitCommit: r.GitCommit, Approver: r.Approver, Started: r.Started, Finished: r.Finished,
		Reason: r.Reason, Failure: r.Failure, Gates: r.Gates, RolledBackTo: r.RolledBackTo, By: r.By,
		Objects: len(r.Inventory), Origin: r.Origin.withoutValues(),
	}
	if d := r.Duration(); d > 0 {
		s.Duration = d.String()
	}
	return s
}

// Duration is how long the release took; 0 while it has not finished.
func (r *Record) Duration() time.Duration {
	if r.Started.IsZero() || r.Finished.IsZero() || r.Finished.Before(r.Started) {
		return 0
	}
	return r.Finished.Sub(r.Started).Round(time.Second)
}

// withoutValues returns a copy of o that leaves out the Helm values.
func (o *Origin) withoutValues() *Origin {
	if o == nil || o.Helm == nil {
		return o
	}
	h := *o.Helm
	h.Values = nil
	return &Origin{Helm: &h}
}
