package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-promote/kubectl-promote/pkg/pipeline"
)

// CloudEventsType prefixes the kind in a CloudEvent's type:
// dev.kubectl-promote.release.failed.
const CloudEventsType = "dev.kubectl-promote.release."

// payload encodes e in format, with the request's Content-Type.
func payload(format string, e Event) ([]byte, string, error) {
	switch format {
	case pipeline.NotifySlack:
		b, err := marshal(slackMessage(e))
		return b, "application/json", err
	case pipeline.NotifyCloudEvents:
		b, err := marshal(cloudEvent(e))
		return b, "application/cloudevents+json; charset=utf-8", err
	}
	return nil, "", fmt.Errorf("unknown format %q", format)
}

// marshal is json.Marshal without HTML escaping: Slack's own escaping of
// &, < and > is done by escape, and \u0026 would only be noise.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// cloudEventEnvelope is the structured content mode of CloudEvents 1.0.
type cloudEventEnvelope struct {
	SpecVersion     string `json:"specversion"`
	Type            string `json:"type"`
	Source          string `json:"source"`
	Subject         string `json:"subject,omitempty"`
	ID              string `json:"id"`
	Time            string `json:"time"`
	DataContentType string `json:"datacontenttype"`
	Data            Event  `json:"data"`
}

// cloudEvent wraps e. Its id is the same on every retry of one event, so
// a receiver can drop the duplicates a lost answer causes.
func cloudEvent(e Event) cloudEventEnvelope {
	c := cloudEventEnvelope{
		SpecVersion: "1.0", Type: CloudEventsType + string(e.Kind),
		Source: "kubectl-promote/" + e.Pipeline + "/" + e.Environment,
		ID:     fmt.Sprintf("%s.%s.v%d.%s.%d", e.Pipeline, e.Environment, e.Revision, e.Kind, e.Time.UnixNano()),
		Time:   e.Time.UTC().Format(time.RFC3339Nano), DataContentType: "application/json", Data: e,
	}
	if e.Revision > 0 {
		c.Subject = fmt.Sprintf("revision %d", e.Revision)
	}
	return c
}

// Slack's message JSON (also read by Mattermost, Rocket.Chat and others
// that take Slack-compatible webhooks): text is the notification and the
// fallback, the attachment's colour marks the outcome.
type slackPayload struct {
	Text        string            `json:"text"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Color  string       `json:"color"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

var colours = map[Kind]string{
	Started: "#439fe0", Paused: "#daa038", WaitingApproval: "#daa038", GateBlocked: "#daa038",
	Succeeded: "#2eb886", Failed: "#d00000", RolledBack: "#d00000", UndoFailed: "#7d0000",
}

func slackMessage(e Event) slackPayload {
	text := e.Title()
	if e.Reason != "" {
		text += ": " + e.Reason
	}
	blocks := []slackBlock{{Type: "section", Text: mrkdwn("*" + escape(e.Title()) + "*" + reasonLine(e))}}
	blocks = append(blocks, slackBlock{Type: "section", Fields: slackFields(e)})
	blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{
		*mrkdwn(escape(fmt.Sprintf("by %s via %s at %s", e.who(), e.By, e.Time.UTC().Format(time.RFC3339)))),
	}})
	return slackPayload{Text: escape(text), Attachments: []slackAttachment{{Color: colours[e.Kind], Blocks: blocks}}}
}

func reasonLine(e Event) string {
	if e.Reason == "" {
		return ""
	}
	return "\n" + escape(e.Reason)
}

func slackFields(e Event) []slackText {
	fields := []slackText{
		*mrkdwn("*Environment*\n" + escape(e.Environment+" ("+cmpOr(e.Namespace, "-")+")")),
		*mrkdwn("*Outcome*\n" + escape(e.Outcome)),
	}
	if e.Source != nil {
		fields = append(fields, *mrkdwn(escape(fmt.Sprintf("*From*\n%s revision %d", e.Source.Environment, e.Source.Revision))))
	}
	if e.RolledBackTo > 0 {
		fields = append(fields, *mrkdwn(fmt.Sprintf("*Running now*\nrevision %d", e.RolledBackTo)))
	}
	if len(e.Artifacts) > 0 {
		refs := make([]string, len(e.Artifacts))
		for i, a := range e.Artifacts {
			refs[i] = "`" + escape(a.Ref) + "`"
		}
		fields = append(fields, *mrkdwn("*Artifacts*\n" + strings.Join(refs, "\n")))
	}
	return fields
}

func mrkdwn(s string) *slackText { return &slackText{Type: "mrkdwn", Text: s} }

// escape keeps Slack from reading <, > and & as links or mentions.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
