// Package rollout changes a cluster: staged server-side apply of a release,
// pruning of what the previous release had and the new one lacks, the
// switching strategies (rolling, canary, blue-green) and the undo that puts a
// previous release back whole. Its watch subpackage decides whether a
// rollout is healthy or failed.
package rollout
