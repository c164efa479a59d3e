// Package helmimport takes an environment over from the Helm release that
// runs it: it reads the release from Helm's own storage (the Secrets
// driver, through helm.sh/helm/v3/pkg/storage), checks that the objects
// of its manifest are live and Helm's, and moves the fields Helm's field
// manager owns on them to the tool's (see diff.Manager.TakeOver), so that
// the tool's server-side applies change and prune them from then on
// without conflicts and without recreating anything.
//
// Helm's storage is only read: the release's history stays readable by
// `helm history` and `helm get`, and is the way back out (see
// docs/helm-migration.md).
package helmimport
