// Package hooks runs a Helm chart's hooks the way `helm upgrade` and
// `helm test` do: the hooks of one event in hook-weight order (then by
// name), each deleted first when its hook-delete-policy says
// before-hook-creation (the default), server-side applied through the
// tool's one apply path (diff.Manager), waited for — a Job until it
// completes and a Pod until it succeeds, both failing fast by the deploy
// watch's pod rules (watch.JobFailure, watch.PodFailure); anything else
// until the watch finds it ready — and deleted after
// by hook-succeeded or hook-failed. The first hook that fails stops the
// event. It owns no decision about the release: pkg/promote says when each
// event runs and what a failure means.
package hooks
