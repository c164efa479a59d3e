// Package diff owns the server-side dry-run diff of an environment: for
// each rendered object one server-side apply dry-run and one read of the
// live object, noise removed, Secret values masked, collected into a
// ChangeSet of created, configured, unchanged and deleted entries, and
// written as unified text hunks or JSON.
//
// It also owns what the apply engine must share so that what diff shows is
// what apply does: the Manager, the one server-side apply path (dry-run,
// apply, delete) that pkg/rollout applies, undoes and prunes with; Prepare
// (stringData → data and owner labels, once per deploy: Options.Prepared);
// Normalize, MaskSecrets and the Redactor; and ObjectError, which turns an
// apiserver error into one that names the object, the verb and, for
// conflicts, the other field managers.
//
// Known is the process-wide Redactor: it learns the values of every Secret
// that Prepare, NewRedactor, Learn or LearnManifest sees, and the CLI runs
// client-go's log, Warning headers, final errors and record reasons
// through it, so that no Secret value reaches any output.
//
// The package never writes to os.Stdout and never imports cobra; the CLI
// lives in internal/cli.
package diff
