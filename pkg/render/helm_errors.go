package render

import (
	"fmt"
	"regexp"
	"strings"
)

// Helm names templates "<chart name>/templates/x.yaml"; these patterns put
// the file (as a real path) and line first in its messages.
var (
	helmExec  = regexp.MustCompile(`^template: ([^:\s]+):(\d+):(\d+): (.*)$`)
	helmParse = regexp.MustCompile(`^parse error at \(([^:\s]+):(\d+)\): (.*)$`)
)

// chartPaths turns Helm's chart-relative template names into paths under
// the chart directory as the user wrote it.
type chartPaths struct {
	name string // the chart's name, which prefixes Helm's template names
	dir  string
}

// local maps one template name; names of other charts are kept.
func (c chartPaths) local(name string) string {
	if rest, ok := strings.CutPrefix(name, c.name+"/"); ok {
		return c.dir + "/" + rest
	}
	return name
}

// rewrite restates every template name in msg as a local path.
func (c chartPaths) rewrite(msg string) string {
	for _, sub := range []string{"templates/", "charts/", "crds/"} {
		msg = strings.ReplaceAll(msg, c.name+"/"+sub, c.dir+"/"+sub)
	}
	return msg
}

// helmError is Helm's error, restated with the template's path and line
// first.
type helmError struct {
	msg string
	err error
}

func (e *helmError) Error() string { return e.msg }
func (e *helmError) Unwrap() error { return e.err }

func (c chartPaths) error(err error) error {
	msg := shortenIncludes(err.Error())
	switch {
	case helmExec.MatchString(msg):
		m := helmExec.FindStringSubmatch(msg)
		msg = c.local(m[1]) + ":" + m[2] + ":" + m[3] + ": " + m[4]
	case helmParse.MatchString(msg):
		m := helmParse.FindStringSubmatch(msg)
		msg = c.local(m[1]) + ":" + m[2] + ": " + m[3]
	default:
		return &helmError{msg: "helm chart " + c.dir + ": " + c.rewrite(msg), err: err}
	}
	return &helmError{msg: msg, err: err}
}

// includeSep joins the messages of nested includes in Helm's errors.
const includeSep = "error calling include: "

// shortenIncludes keeps the outermost and innermost of a chain of nested
// include errors: a recursive include fails a thousand levels deep, and
// the message would repeat the same call a thousand times.
func shortenIncludes(msg string) string {
	parts := strings.Split(msg, includeSep)
	if len(parts) <= 6 {
		return msg
	}
	kept := append(parts[:3:3], fmt.Sprintf("… %d more nested includes … ", len(parts)-5), parts[len(parts)-2], parts[len(parts)-1])
	return strings.Join(kept, includeSep)
}
