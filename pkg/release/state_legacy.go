package release

import (
	"encoding/json"
	"time"
)

// Keys of the "extra" map in which releases before the typed state kept
// the blue-green colours and the requests; still read, never written.
const (
	legacyFrom        = "from"
	legacyFromHash    = "fromHash"
	legacyTo          = "to"
	legacyScaleDownAt = "scaleDownAt"
	legacyRequest     = "request"
	legacyRequestedBy = "requestedBy"
	legacyRequestedAt = "requestedAt"
)

// UnmarshalJSON reads a State, including one written with the untyped
// "extra" map of earlier versions, so a rollout started by one of them can
// still be shown, resumed or aborted.
func (st *State) UnmarshalJSON(data []byte) error {
	type plain State
	var v struct {
		plain
		Extra map[string]string `json:"extra,omitempty"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*st = State(v.plain)
	st.fromLegacy(v.Extra)
	return nil
}

// fromLegacy fills the typed fields from an "extra" map the state has not
// already got typed. A time that does not parse is left zero.
func (st *State) fromLegacy(extra map[string]string) {
	if len(extra) == 0 {
		return
	}
	if st.BlueGreen == nil && st.Strategy == StrategyBlueGreen {
		at, _ := time.Parse(time.RFC3339Nano, extra[legacyScaleDownAt])
		st.BlueGreen = &BlueGreenState{From: extra[legacyFrom], FromHash: extra[legacyFromHash], To: extra[legacyTo], ScaleDownAt: at}
	}
	if kind := extra[legacyRequest]; st.Request == nil && kind != "" {
		at, _ := time.Parse(time.RFC3339Nano, extra[legacyRequestedAt])
		st.Request = &Request{Kind: RequestKind(kind), By: extra[legacyRequestedBy], At: at}
	}
}
