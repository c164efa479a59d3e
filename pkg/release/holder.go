package release

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
)

// Holder says who holds a lock, in enough detail for a person to find the
// process (or the CI job) and decide whether it is gone.
type Holder struct {
	User     string `json:"user,omitempty"`
	Host     string `json:"host,omitempty"`
	PID      int    `json:"pid,omitempty"`
	CIJobURL string `json:"ciJobURL,omitempty"`
	Command  string `json:"command,omitempty"`
}

// String reads like `alice@laptop (pid 4242) running "kubectl-promote prod"`.
func (h Holder) String() string {
	var b strings.Builder
	b.WriteString(cmpOr(h.User, "unknown user"))
	if h.Host != "" {
		b.WriteString("@" + h.Host)
	}
	if h.PID != 0 {
		fmt.Fprintf(&b, " (pid %d)", h.PID)
	}
	if h.CIJobURL != "" {
		b.WriteString(" in CI job " + h.CIJobURL)
	}
	if h.Command != "" {
		fmt.Fprintf(&b, " running %q", h.Command)
	}
	return b.String()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// identity is what the Lease's holderIdentity holds: the Holder plus a
// token unique to one Acquire, so that a lock knows its own lease even when
// the same user, host and pid acquire twice.
type identity struct {
	Holder
	Token string `json:"token,omitempty"`
}

func (id identity) String() string {
	b, _ := json.Marshal(id) // strings and ints only: cannot fail
	return string(b)
}

// parseIdentity reads a holderIdentity. One not written by this tool (an
// edited lease) still names a holder: the raw text as the user.
func parseIdentity(s string) identity {
	var id identity
	if err := json.Unmarshal([]byte(s), &id); err != nil {
		return identity{Holder: Holder{User: s}}
	}
	return id
}

// maxCommand bounds the command line kept in the lease.
const maxCommand = 256

// DefaultHolder describes this process: the user ($USER, else the account),
// host, pid, the CI job (GitHub Actions, GitLab CI or Jenkins) and the
// command line with secret-looking flag values redacted.
func DefaultHolder() Holder {
	host, _ := os.Hostname()
	return holderFrom(os.Getenv, host, os.Getpid(), os.Args)
}

// holderFrom builds a Holder from the given environment, for tests.
func holderFrom(getenv func(string) string, host string, pid int, args []string) Holder {
	h := Holder{User: getenv("USER"), Host: host, PID: pid, CIJobURL: ciJobURL(getenv)}
	if h.User == "" {
		if u, err := user.Current(); err == nil {
			h.User = u.Username
		}
	}
	if len(args) > 0 {
		cmd := append([]string{filepath.Base(args[0])}, redactArgs(args[1:])...)
		h.Command = strings.Join(cmd, " ")
		if len(h.Command) > maxCommand {
			h.Command = h.Command[:maxCommand-3] + "..."
		}
	}
	return h
}

// ciJobURL returns the URL of the CI job running this process, if any.
func ciJobURL(getenv func(string) string) string {
	server, repo, run := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if server != "" && repo != "" && run != "" {
		return server + "/" + repo + "/actions/runs/" + run
	}
	if u := getenv("CI_JOB_URL"); u != "" {
		return u
	}
	return getenv("BUILD_URL")
}

// sensitiveFlag matches flags whose value must not end up in a lease
// anyone with read access can see (--token, --password, --client-key…).
var sensitiveFlag = regexp.MustCompile(`(?i)^--?[a-z0-9-]*(token|password|passwd|secret|key|credential)[a-z0-9-]*$`)

// redactArgs replaces the values of sensitive flags with "REDACTED".
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i := 0; i < len(args); i++ {
		name, _, hasValue := strings.Cut(args[i], "=")
		switch {
		case !sensitiveFlag.MatchString(name):
			out[i] = args[i]
		case hasValue:
			out[i] = name + "=REDACTED"
		default:
			out[i] = args[i]
			if i+1 < len(args) {
				i++
				out[i] = "REDACTED"
			}
		}
	}
	return out
}
