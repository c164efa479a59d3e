// Package dashboard serves the local web UI of `kubectl promote dashboard`:
// the pipeline as a chain of environments, each environment's history, live
// rollouts and the resume / abort / promote / undo actions.
//
// Everything the page shows comes from a JSON API under the same server
// (documented in docs/dashboard.md) that the page itself uses. Live updates
// are server-sent events fed by watches on each environment's namespace
// (release records, rollout state, lock, workloads and pods), never by the
// browser polling. Actions call the same library functions as the CLI
// (promote.Control, promote.Promote, promote.Deploy), under the same lock
// and records.
//
// The server is meant for loopback: every request must name the listening
// address as its Host (no DNS rebinding), and every state-changing request
// must carry the per-session token embedded in the page and come from the
// page's own origin. No Secret value is ever read into a response: records
// are served as summaries without their manifest, and the watches hold
// object metadata only.
package dashboard
