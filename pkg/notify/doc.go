// Package notify tells people and systems what happened to a release: it
// turns release events (started, paused, waiting for approval, gate
// blocked, succeeded, failed, rolled back, undo failed) into Slack-compatible
// messages or CloudEvents, and delivers them to webhooks in the background
// with retries and exponential back-off.
//
// A notification never slows a release down nor fails it: Send only queues,
// a delivery that fails is a warning, and Flush waits a bounded time when
// the process ends. Webhook URLs and tokens are credentials: they are read
// from a Secret or an environment variable and never appear in a payload,
// an error or a warning; targets are named by their name in promote.yaml.
package notify
