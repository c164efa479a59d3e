// Package promote runs a release into an environment end to end: the lock,
// the dry-run of the whole set, the record, the strategy's rollout, the
// watch, the undo on failure, and the final record. Promotion between
// environments (artifacts, gates) builds on it.
package promote
